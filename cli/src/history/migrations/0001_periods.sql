-- te-usage history, schema version 1: one row per billing period, and under it what the latest
-- snapshot of that period read. Times are RFC 3339 in UTC (`2024-12-01T00:00:00Z`), units are
-- integers, as the API gives them.

-- Marks the file as a te-usage history ("TEUH"), so that te-usage never writes its tables into
-- another application's database.
PRAGMA application_id = 1413829960;

-- A billing period, keyed by its start and end (GET /usage: quota.monthStart, quota.monthEnd).
CREATE TABLE period (
    id INTEGER PRIMARY KEY,
    start TEXT NOT NULL,
    end TEXT NOT NULL,
    first_snapshot_at TEXT NOT NULL,
    last_snapshot_at TEXT NOT NULL,
    snapshot_count INTEGER NOT NULL,
    -- The API's base URL.
    source TEXT NOT NULL,
    UNIQUE (start, end)
);

-- GET /usage: the organization's totals, and the whole answer as JSON.
CREATE TABLE usage (
    period_id INTEGER PRIMARY KEY REFERENCES period (id),
    cloud_units_used INTEGER,
    cloud_units_projected INTEGER,
    cloud_units_next_period INTEGER,
    cloud_units_included INTEGER,
    enterprise_units_used INTEGER,
    enterprise_units_projected INTEGER,
    enterprise_units_next_period INTEGER,
    answer TEXT NOT NULL
);

-- GET /quotas, in units per month.
CREATE TABLE organization_quota (
    period_id INTEGER NOT NULL REFERENCES period (id),
    org_id TEXT,
    units INTEGER NOT NULL
);
CREATE TABLE account_group_quota (
    period_id INTEGER NOT NULL REFERENCES period (id),
    org_id TEXT,
    aid TEXT NOT NULL,
    units INTEGER
);

-- GET /usage/units/tests: one row per test, in the account group that owns it.
CREATE TABLE test_units (
    period_id INTEGER NOT NULL REFERENCES period (id),
    aid TEXT,
    account_group_name TEXT,
    test_id TEXT,
    test_name TEXT,
    test_type TEXT,
    instant_test INTEGER,
    cloud_units_used INTEGER,
    cloud_units_projected INTEGER,
    enterprise_units_used INTEGER,
    enterprise_units_projected INTEGER
);
CREATE INDEX test_units_by_period ON test_units (period_id, aid);

-- GET /usage/units/enterprise-agents: one row per agent and account group whose tests ran on it.
CREATE TABLE agent_units (
    period_id INTEGER NOT NULL REFERENCES period (id),
    aid TEXT,
    account_group_name TEXT,
    agent_id TEXT,
    agent_name TEXT,
    enterprise_units_used INTEGER,
    enterprise_units_projected INTEGER
);
CREATE INDEX agent_units_by_period ON agent_units (period_id, aid);
