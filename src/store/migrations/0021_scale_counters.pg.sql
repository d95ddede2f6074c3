-- Progress counters kept by triggers in the transaction that changes an answer, so progress and dashboards
-- read one row instead of counting a project's answers (issue 7). task_count, tasks_started,
-- tasks_complete and answer_count already live on projects; these add the review outcomes.
ALTER TABLE projects ADD COLUMN answers_approved BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN answers_rejected BIGINT NOT NULL DEFAULT 0;
UPDATE projects SET
  answers_approved = (SELECT COUNT(*) FROM assignments a WHERE a.project_id = projects.id AND a.pay_state = 'approved'),
  answers_rejected = (SELECT COUNT(*) FROM assignments a WHERE a.project_id = projects.id AND a.review_state = 'rejected');
CREATE FUNCTION assignments_count_outcome() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE projects SET
    answers_approved = answers_approved + (NEW.pay_state = 'approved')::int - (OLD.pay_state = 'approved')::int,
    answers_rejected = answers_rejected + (NEW.review_state = 'rejected')::int - (OLD.review_state = 'rejected')::int
  WHERE id = NEW.project_id;
  RETURN NULL;
END $$;
CREATE TRIGGER assignments_count_outcome AFTER UPDATE OF pay_state, review_state ON assignments
  FOR EACH ROW WHEN ((OLD.pay_state = 'approved') <> (NEW.pay_state = 'approved')
                     OR (OLD.review_state = 'rejected') <> (NEW.review_state = 'rejected'))
  EXECUTE FUNCTION assignments_count_outcome();
