"""Router service: owns salespeople, leads and assignments; decides who gets each lead."""
