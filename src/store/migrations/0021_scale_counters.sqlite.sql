-- Progress counters kept by triggers in the transaction that changes an answer, so progress and dashboards
-- read one row instead of counting a project's answers (issue 7). task_count, tasks_started,
-- tasks_complete and answer_count already live on projects; these add the review outcomes.
ALTER TABLE projects ADD COLUMN answers_approved I64 NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN answers_rejected I64 NOT NULL DEFAULT 0;
UPDATE projects SET
  answers_approved = (SELECT COUNT(*) FROM assignments a WHERE a.project_id = projects.id AND a.pay_state = 'approved'),
  answers_rejected = (SELECT COUNT(*) FROM assignments a WHERE a.project_id = projects.id AND a.review_state = 'rejected');
CREATE TRIGGER assignments_count_pay AFTER UPDATE OF pay_state ON assignments
  WHEN (OLD.pay_state = 'approved') <> (NEW.pay_state = 'approved')
BEGIN
  UPDATE projects SET answers_approved = answers_approved + (NEW.pay_state = 'approved') - (OLD.pay_state = 'approved')
  WHERE id = NEW.project_id;
END;
CREATE TRIGGER assignments_count_review AFTER UPDATE OF review_state ON assignments
  WHEN (OLD.review_state = 'rejected') <> (NEW.review_state = 'rejected')
BEGIN
  UPDATE projects SET answers_rejected = answers_rejected + (NEW.review_state = 'rejected') - (OLD.review_state = 'rejected')
  WHERE id = NEW.project_id;
END;
