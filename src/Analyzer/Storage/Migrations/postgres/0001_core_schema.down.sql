DROP TABLE relations;
DROP TABLE citizens;
DROP TABLE imports;
