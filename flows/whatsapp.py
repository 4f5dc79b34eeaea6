"""WhatsApp Web: who can see your last seen and online, profile photo, About and Status (Settings > Privacy).

WhatsApp has no AI-training switch (its "Advanced chat privacy" is per chat); what a browser can do is keep your
personal info away from strangers. There is no password: a browser is linked once by QR code, and the app has one
URL, so every pane is reached by clicking.
"""

from __future__ import annotations

from runner.flow import Flow


class WhatsAppFlow(Flow):
    """Clicks Settings > Privacy on WhatsApp Web and picks "My contacts" (or "Nobody") for four audience choices."""

    name = "whatsapp"
