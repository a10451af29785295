"""Registration: series, editions, organisations, delegates, products, participations, check-in."""
