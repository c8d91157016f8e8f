-- A dead letter belongs to the warehouse of the topic it came on (a gateway may publish only
-- on its own warehouse's topics), so a warehouse's dashboard and the REST list show its own
-- dead letters and not every site's. NULL when the topic itself was not one of ours: such a
-- letter is shown to every warehouse. Earlier rows take the warehouse from their topic with
-- the rule of protocol/topics.py (stockpulse/v1/<warehouse>/[<gateway>/]<channel>).
ALTER TABLE dead_letters ADD COLUMN IF NOT EXISTS warehouse text;
UPDATE dead_letters SET warehouse = split_part(topic, '/', 3)
 WHERE warehouse IS NULL
   AND topic ~ '^stockpulse/v1/[A-Za-z0-9][A-Za-z0-9_.-]{0,63}/([A-Za-z0-9][A-Za-z0-9_.-]{0,63}/)?(moves|status|heartbeat|readings|commands|alerts)$';
DROP INDEX IF EXISTS dead_letters_open;
CREATE INDEX dead_letters_open ON dead_letters (warehouse, received_at) WHERE resolved_at IS NULL;
