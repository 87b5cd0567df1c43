// peer.js -- the peer in bench/run: a typical hand-written callback receiver.
//
// node:http + npm's pg with a pool of 8; every request, whatever its path
// and method, is one INSERT of its raw body (autocommit: one commit per
// request) into peer_callbacks (bench/peer/schema.sql); 200 once the
// INSERT resolved, 500 when it failed.  No signature checks, no decoding:
// the least a receiver that stores its callbacks does.
//
// Environment: PEER_PORT (listens on 127.0.0.1:PEER_PORT), and libpq's
// PGHOST (a socket directory or a host), PGPORT, PGUSER, PGDATABASE, which
// pg reads itself.
'use strict';

const http = require('node:http');
const pg = require('pg');

const POOL_SIZE = 8;
const port = Number(process.env.PEER_PORT);

if (!Number.isInteger(port) || port <= 0 || port > 65535) {
	console.error('peer: PEER_PORT: a port number');
	process.exit(2);
}

const pool = new pg.Pool({ max: POOL_SIZE });

// An idle client losing its connection must not take the process down.
pool.on('error', (err) => console.error('peer: pool: ' + err.message));

const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (chunk) => chunks.push(chunk));
	req.on('end', () => {
		const body = Buffer.concat(chunks).toString('utf8');
		pool.query('INSERT INTO peer_callbacks (path, body) VALUES ($1, $2)', [req.url, body])
			.then(() => {
				res.writeHead(200, { 'Content-Type': 'text/plain' });
				res.end('ok\n');
			})
			.catch((err) => {
				console.error('peer: insert: ' + err.message);
				res.writeHead(500, { 'Content-Type': 'text/plain' });
				res.end('error\n');
			});
	});
});

server.listen(port, '127.0.0.1', () => console.error('peer: listening on 127.0.0.1:' + port));

// bench/run stops the peer with SIGTERM: finish what is in flight, then exit.
process.on('SIGTERM', () => {
	server.close(() => pool.end().then(() => process.exit(0)));
	setTimeout(() => process.exit(0), 2000).unref();
});
