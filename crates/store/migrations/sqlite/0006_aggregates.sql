-- A request's tasks are stored by code (dispatch, sign, …), their names shown from the label table.
UPDATE tasks SET name = CASE name
    WHEN '派单' THEN 'dispatch'
    WHEN '签收' THEN 'sign'
    WHEN '办理' THEN 'handle'
    WHEN '回访' THEN 'visit'
    WHEN '延期审核' THEN 'extension_review'
    WHEN '网格处置' THEN 'grid_handling'
    WHEN '协办' THEN 'assist'
    WHEN '报到' THEN 'report'
    ELSE name END
WHERE kind = 'ticket';

-- Journal, tasks, timers, notifications and uploads belong to any aggregate (an application, a
-- request, …): the column says so.
ALTER TABLE journal RENAME COLUMN case_id TO aggregate_id;
ALTER TABLE tasks RENAME COLUMN case_id TO aggregate_id;
ALTER TABLE timers RENAME COLUMN case_id TO aggregate_id;
ALTER TABLE notifications RENAME COLUMN case_id TO aggregate_id;
ALTER TABLE uploads RENAME COLUMN case_id TO aggregate_id;
