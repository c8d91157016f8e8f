-- Balances are updated in place all day: leave room on each page so the update of a
-- quantity (no indexed column changes) can stay a heap-only tuple update.
ALTER TABLE balances SET (fillfactor = 80);
ALTER TABLE units SET (fillfactor = 80);
