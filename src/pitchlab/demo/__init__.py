"""Demo booking: a prospect asks for a demo at a time; it is stored, then booked with Calendly
(or retried by a job while Calendly is down), and the sales inbox is told either way."""
