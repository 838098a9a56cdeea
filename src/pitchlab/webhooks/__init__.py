"""The webhook inbox: deliveries from providers that call us (Stripe, Calendly), stored once, handled by a job."""
