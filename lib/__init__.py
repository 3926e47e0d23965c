"""Plain functions of mail_catcher: no ORM, no database, tested on their own."""
