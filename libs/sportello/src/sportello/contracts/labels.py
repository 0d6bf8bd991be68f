"""The Italian words a customer reads for an order's status: orders sends them with every order
(`status_label`), notifications writes them in its emails."""

from __future__ import annotations

ORDER_STATUS_LABELS = {
    "awaiting_payment": "In attesa di pagamento",
    "payment_failed": "Pagamento non riuscito",
    "paid": "Pagato",
    "in_progress": "In lavorazione",
    "completed": "Completato",
    "cancelled": "Annullato",
    "withdrawal_requested": "Recesso richiesto",
    "refunded": "Rimborsato",
}
