-- schedule_recount creates real count tasks (cloud_hub/planning/recount.py): a request
-- remembers them, and is done once they are all finished.
ALTER TABLE planning_recount_requests ADD COLUMN task_ids text[] NOT NULL DEFAULT '{}';
