"""Legal data kept in the database: rates recorded by users on top of the shipped tables; later dossiers."""
