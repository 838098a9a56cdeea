"""The webhook inbox: deliveries from providers that call us (Stripe, Calendly), stored once
and handled by a job."""
