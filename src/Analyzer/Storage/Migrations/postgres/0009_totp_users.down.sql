DROP TABLE totp_users;
