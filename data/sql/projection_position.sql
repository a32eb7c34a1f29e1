-- projection_position: the stored position of one tailed log ($1 = name); no row means 0.
SELECT seq FROM projection_position WHERE name = $1
