// Package segmentation answers the SOP's second step — who is calling,
// which segment and tier, which products, which language, and does TENESA
// serve them — from customer data the CRM exports and Redis caches, within
// a few milliseconds of the call's arrival.
//
// # Pieces
//
//   - Numbering / NormalizeNumber: every form a caller ID, a SIP URI or a
//     CRM export carries ("+62 21 5551234", "021-555-1234", "(021) 5551234",
//     "62 812 3456 7890", "0812-3456-7890", "0062…", "sip:0812…@host", the
//     national significant number alone as some trunks send it) to one E.164
//     key; anything else is a *NumberError saying why. Validity is
//     libphonenumber's metadata for ID (github.com/nyaruka/phonenumbers),
//     compiled once; a differential fuzz target checks it against the
//     library's own Parse/IsValidNumberForRegion.
//   - Repository: reads in one round trip each (a Lua script), and the
//     dataset versions (NewVersion, Switch, DropVersion, CollectOld).
//   - Rules: the segments TENESA serves and the redirect (prompt, transfer
//     target such as 147) of the others, tier priorities, known products and
//     languages, compiled from configs.Segmentation. A missing or unknown
//     segment makes the caller unidentified, never an error.
//   - Resolver: ByANI, BySID, Ticket, Incident with a bounded in-process
//     cache (TTL, negative entries for unknown numbers, size limit), a time
//     budget per look-up (default 150 ms) and a breaker in front of a failing
//     Redis. Redis slow or down gives Result.Degraded within the budget, a
//     nil error, and an Observer count: calls keep flowing as unidentified.
//   - importer (sub-package): CSV / JSON Lines exports validated row by row
//     and written in pipelined batches to a new dataset version, then
//     switched to atomically; and a generator of synthetic customers.
//
// # Redis keys
//
// The prefix P is redis.key_prefix (default "tenesa:"). Each of the three
// datasets (customers, tickets, incidents) is imported and versioned on its
// own; every key of a version lives under a version segment "v{N}":
//
//	P customers:current            string  serving version N (absent: nothing imported yet)
//	P customers:seq                string  INCR counter versions are drawn from
//	P customers:versions           zset    versions written and not yet deleted (score: start time)
//	P customers:lease:{N}          string  present (TTL 30 s, renewed every 10 s) while an import writes version N
//	P customers:v{N}:meta          hash    buckets B (bucket count of this version), format 2,
//	                                        rows (rows imported; every dataset has it, for the shrink check)
//	P customers:v{N}:cb:{b}        hash    customer_id → record: name, segment, tier, language,
//	                                        region, products (";"), account_manager joined by 0x1f
//	P customers:v{N}:ab:{b}        hash    e164 → customer_id (one customer may own many numbers)
//	P customers:v{N}:sb:{b}        hash    service_id → customer_id
//	P tickets:v{N}:ticket:{sid}    hash    ticket_id, status, updated_at, eta (RFC 3339, UTC)
//	P incidents:v{N}:incident:{product}:{region}  hash  region, prompt, started_at, expected_end
//	                                        (region "*": every region; read when the region has none)
//	P tickets:current …, P incidents:current …   as for customers
//	P events                       pub/sub channel: "customers N" when a dataset switches
//
// Customers are in bucketed small hashes, not DESIGN §3's one hash
// cust:{customer_id} and one string per ani:{e164} and sid:{service_id}: a
// field's bucket b is Bucket(field, B) = (h*31 + byte) mod B over its
// bytes, which the look-up script computes the same way in Lua. B is
// chosen per version from the expected size (rows to generate, or the file
// size; 2^20 customers when unknown) for about 24 customers a bucket, so a
// bucket stays a listpack (hash-max-listpack-entries, 128 by default) and
// B is stored in the version's meta, so that readers never guess it. Why:
// with a key per customer, number and service ID (3.25 keys and a 7-field
// hash per generated customer) Redis spent ~9-11 µs of CPU and ~590 bytes
// per customer, and 1,000,000 customers imported at 39,000-61,000/s. With
// buckets there are 0.125 keys per customer (3 × B + meta), the importer
// gathers every bucket's entries in memory (up to BufferEntries, 4 Mi
// entries: a 1,000,000-customer import is written in one round) and writes
// each bucket with one HSET of many fields, so Redis spends ~2.0-2.5 µs of
// CPU and 217 bytes per customer (207 MiB for 1,000,000, INFO memory
// used_memory): the ab and sb buckets are listpacks (~30 bytes an entry);
// cb holds records longer than hash-max-listpack-value (64 bytes), so those
// buckets are hash tables. The importer itself spends ~4.4-5.1 µs of Go CPU
// per customer (was ~10: phone patterns are now digit automata, buffers are
// flat, the dedupe table is open addressing), and 1,000,000 generated
// customers import at 210,000-245,000/s on this 2-core machine while other
// jobs share it (see Tests and benchmarks). A look-up runs 4 commands in
// its script (GET, HGET meta, HGET ab/sb, HGET cb) where it ran 3.
// Tickets and incidents are small and keep a hash each.
//
// A look-up is one EVALSHA: the script reads P customers:current, the
// version's meta, then HGET ab:{b} (or sb:{b}) → HGET cb:{b}, so it is one
// round trip and, scripts being atomic, it sees the old dataset or the new
// one, never a mix. A caller ID with two valid readings (the country code
// without "+": "62 22 5550432" is Bandung's +62 22 5550432 or a national
// 0622 number) passes both to the script, which answers the first that has
// a customer (Normalize's reading first); the in-process cache keeps that
// answer under the digits as dialled, never under either reading alone. A version without meta was written by an importer
// before the buckets (cust:/ani:/sid: keys); the script still reads it
// (GET → HGETALL), so an upgrade serves the old data until the next import.

// # Versions and the switch
//
// An import allocates version N+1, writes every row under P…:v{N+1}:, and
// only then moves P…:current with a script that refuses to go backwards (two
// concurrent imports cannot roll the data back) and PUBLISHes the switch on
// P events. An import that aborts (too many bad rows, a Redis error, Ctrl-C)
// never moves the pointer: the previous version keeps serving, and the
// partial version is deleted. An import killed outright (SIGKILL, OOM)
// cannot delete it: its lease P…:lease:{N}, taken when N is allocated and
// renewed by the writer's heartbeat, expires instead, and the next import
// deletes every version that is neither serving nor leased before it
// writes (`import gc` does only that), so leftovers never fill a Redis
// under maxmemory; a version another import is writing keeps its lease and
// stays. A customers file with fewer rows than the serving version's meta
// rows by more than --max-shrink (default half) is refused unless --force.
// After a switch, every recorded version older
// than the serving one — the replaced data and leftovers of crashed
// imports — is deleted with SCAN + UNLINK in batches (never KEYS or DEL of a
// big set, so Redis is not blocked); `import --keep-old` skips that.
//
// # Source and TTL policy
//
// The CRM owns customer data; Redis is its cache, refreshed by a full export
// (`tenesa-ivr import customers FILE`, typically nightly), tickets and
// incidents by their own exports as often as the ticketing system produces
// them. Serving keys carry no Redis TTL: an expiry would make customers
// vanish between exports; a version lives exactly until the next successful
// import of its dataset replaces it. The in-process cache holds an answer at
// most segmentation.cache.ttl (positive) or negative_ttl (unknown numbers),
// and is dropped whole as soon as a switch is seen: from the P events message,
// from a newer version in any script reply, or from Resolver.Run's poll of
// the pointer (every 5 s) when a message was missed. Tickets and incidents
// are not cached in process.
//
// # Redis Cluster, Sentinel
//
// NewRedisClient returns go-redis's UniversalClient: one address → single
// node, master_name set → Sentinel, several addresses → Cluster. A script
// reads keys it builds from the pointer's value, so in Cluster every key must
// be in one slot: use a prefix with a hash tag, e.g. key_prefix "{tenesa}:"
// (NewRepository refuses a Cluster client without one). The whole customer
// cache then lives on one shard, which is fine for its size (about 220 bytes
// per customer: 1,000,000 customers take about 210 MB); replicas give read
// scaling and failover.
//
// # Privacy
//
// Logs never carry a full number or name: internal/logging.MaskNumber ("+62*******890") and
// MaskName ("B. S.") are for any log line that needs one, and NumberError and
// the importer's RowError never include the raw value.
//
// # Sample data
//
// configs/sample holds a small realistic data set (30 customers across DES,
// DGS, DBS, DWS and CONSUMER in WIB, WITA and WIT regions, tickets, incidents;
// numbers are fictional). Load it with:
//
//	tenesa-ivr import customers configs/sample/customers.csv
//	tenesa-ivr import tickets   configs/sample/tickets.csv
//	tenesa-ivr import incidents configs/sample/incidents.csv
//	tenesa-ivr lookup --ani "021-555-1234"
//	tenesa-ivr lookup --sid 470301000101
//
// and `tenesa-ivr import customers --generate 1000000` for a load-test set.
//
// # Tests and benchmarks
//
// Tests use the real Redis at TENESA_TEST_REDIS_ADDR (default
// 127.0.0.1:6379) under a random "test:…:" prefix they delete afterwards,
// and fail when it is unreachable. Redis down or hung is simulated with a TCP
// proxy in the test. Benchmarks:
//
//	go test -run '^$' -bench . ./segmentation/...
//	go test -run '^$' -bench ImportGenerated -benchtime 1x ./segmentation/importer/   # 1,000,000 customers
//
// (TENESA_BENCH_CUSTOMERS sets the size, TENESA_BENCH_BUFFER and
// TENESA_BENCH_BUCKET the importer's BufferEntries and BucketEntries.)
package segmentation
