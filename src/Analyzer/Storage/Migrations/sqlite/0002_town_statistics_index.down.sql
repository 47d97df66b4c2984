DROP INDEX citizens_town_birth_date;
