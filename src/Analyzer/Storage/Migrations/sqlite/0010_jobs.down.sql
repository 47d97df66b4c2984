DROP TABLE job_bodies;
DROP TABLE jobs;
