-- Pre-annotations on tasks, and content-addressed media (images, point clouds) with who may use them.
ALTER TABLE tasks ADD COLUMN predictions_json TEXT;

CREATE TABLE media (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('image', 'pointcloud')),
  format TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size I64 NOT NULL,
  width I64,
  height I64,
  points I64,
  meta_json TEXT NOT NULL,
  bytes BYTES NOT NULL,
  browser_bytes BYTES,
  created_at I64 NOT NULL
);

CREATE TABLE media_owners (
  media_id TEXT NOT NULL REFERENCES media(id),
  user_id I64 NOT NULL REFERENCES users(id),
  created_at I64 NOT NULL,
  PRIMARY KEY (media_id, user_id)
);

CREATE TABLE task_media (
  task_id I64 NOT NULL REFERENCES tasks(id),
  media_id TEXT NOT NULL REFERENCES media(id),
  PRIMARY KEY (task_id, media_id)
);
CREATE INDEX task_media_media ON task_media(media_id, task_id);
