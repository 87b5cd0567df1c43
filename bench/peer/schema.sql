-- schema.sql -- the peer's one table (bench/peer/peer.js), in the benchmark's throwaway database.
CREATE TABLE IF NOT EXISTS peer_callbacks (
	id		bigserial PRIMARY KEY,
	received_at	timestamptz NOT NULL DEFAULT now(),
	path		text NOT NULL,
	body		text NOT NULL
);
