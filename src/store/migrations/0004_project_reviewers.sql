-- Reviewers assigned to projects by their requester: they see the project and its media.
CREATE TABLE project_reviewers (
  project_id I64 NOT NULL REFERENCES projects(id),
  user_id I64 NOT NULL REFERENCES users(id),
  created_at I64 NOT NULL,
  PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_reviewers_user ON project_reviewers(user_id, project_id);
