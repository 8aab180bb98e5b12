package segmentation

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Repository reads and versions the customer data in Redis. Every read is
// one round trip: a Lua script reads the dataset's current-version pointer
// and the data of that version together, so a read is also atomic with
// respect to a dataset switch. It has no cache; Resolver adds one.
type Repository struct {
	rdb  redis.UniversalClient
	keys Keyspace
}

// ErrStaleVersion is returned by Switch when a newer version already serves.
var ErrStaleVersion = errors.New("a newer dataset version is already serving")

// NewRepository checks that the key layout works with the client: in Redis
// Cluster the prefix must carry a hash tag (e.g. "{tenesa}:") so that a
// script's keys share one slot.
func NewRepository(rdb redis.UniversalClient, keys Keyspace) (*Repository, error) {
	if rdb == nil {
		return nil, errors.New("segmentation: nil Redis client")
	}
	if keys.prefix == "" {
		return nil, errors.New("segmentation: zero Keyspace, use NewKeyspace")
	}
	if _, cluster := rdb.(*redis.ClusterClient); cluster && !keys.HasHashTag() {
		return nil, fmt.Errorf("redis.key_prefix: %q has no hash tag; Redis Cluster needs one, e.g. \"{tenesa}:\"", keys.prefix)
	}
	return &Repository{rdb: rdb, keys: keys}, nil
}

// Keys is the repository's key layout.
func (r *Repository) Keys() Keyspace { return r.keys }

// Client is the underlying Redis client.
func (r *Repository) Client() redis.UniversalClient { return r.rdb }

// customerScript: KEYS[1] current pointer; ARGV[1] version base
// ("{prefix}customers:v"); ARGV[2] bucket prefix ("ab:" or "sb:");
// ARGV[3], ARGV[4], … the candidate keys in order: E.164 readings of one
// number, or one service ID.
// Returns {version} when no candidate has a customer, or {version, id,
// record, i} for the first candidate (i counts from 1) that has one;
// version "0" when no dataset was ever imported. The bucket count is the
// version's meta "buckets"; the bucket hash is keys.go's Bucket. A version
// without meta is one written before the bucketed layout (one key per
// customer, number and service ID): it is still read, the record then being
// {field, value, …}.
var customerScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then return {'0'} end
local base = ARGV[1] .. v .. ':'
local n = tonumber(redis.call('HGET', base .. 'meta', 'buckets'))
local function bucket(s)
  local h = 0
  for i = 1, #s do h = (h * 31 + string.byte(s, i)) % n end
  return h
end
for i = 3, #ARGV do
  local key = ARGV[i]
  if not n then
    local legacy = (ARGV[2] == 'ab:') and 'ani:' or 'sid:'
    local id = redis.call('GET', base .. legacy .. key)
    if id then
      local rec = redis.call('HGETALL', base .. 'cust:' .. id)
      if #rec > 0 then return {v, id, rec, i - 2} end
    end
  else
    local id = redis.call('HGET', base .. ARGV[2] .. bucket(key), key)
    if id then
      local rec = redis.call('HGET', base .. 'cb:' .. bucket(id), id)
      if rec then return {v, id, rec, i - 2} end
    end
  end
end
return {v}
`)

// hashScript: KEYS[1] current pointer; ARGV[1] version base; ARGV[2] key
// suffix; ARGV[3] optional fallback suffix read when the first is absent.
// Returns {version, {field, value, …}}.
var hashScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then return {'0', {}} end
local base = ARGV[1] .. v .. ':'
local h = redis.call('HGETALL', base .. ARGV[2])
if #h == 0 and ARGV[3] then h = redis.call('HGETALL', base .. ARGV[3]) end
return {v, h}
`)

// switchScript: KEYS[1] current pointer; ARGV[1] new version; ARGV[2]
// channel; ARGV[3] message. Moves the pointer forward only.
var switchScript = redis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local n = tonumber(ARGV[1])
if n <= cur then return redis.error_reply('STALE ' .. cur) end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return cur
`)

// Preload loads the scripts so that the first look-up is one EVALSHA
// rather than EVALSHA + EVAL. Optional: a missing script is loaded on use.
func (r *Repository) Preload(ctx context.Context) error {
	for _, s := range []*redis.Script{customerScript, hashScript} {
		if err := s.Load(ctx, r.rdb).Err(); err != nil {
			return fmt.Errorf("load look-up script: %w", err)
		}
	}
	return nil
}

// CustomerRecord is a customer read from Redis.
type CustomerRecord struct {
	Version  int64     // dataset version read; 0 when none is serving
	Customer *Customer // nil when the number or ID is unknown
	// Key is the candidate the customer was found under ("" when none).
	Key string
}

// CustomerByANI reads the customer owning an E.164 number.
func (r *Repository) CustomerByANI(ctx context.Context, e164 string) (CustomerRecord, error) {
	return r.customer(ctx, ANIBucketPrefix, e164)
}

// CustomerByANIs reads, in one round trip, the customer owning the first of
// several E.164 readings of one number that has one (Numbering.Readings).
func (r *Repository) CustomerByANIs(ctx context.Context, e164s ...string) (CustomerRecord, error) {
	return r.customer(ctx, ANIBucketPrefix, e164s...)
}

// CustomerBySID reads the customer owning a service ID.
func (r *Repository) CustomerBySID(ctx context.Context, sid string) (CustomerRecord, error) {
	return r.customer(ctx, SIDBucketPrefix, sid)
}

func (r *Repository) customer(ctx context.Context, bucketPrefix string, keys ...string) (CustomerRecord, error) {
	if len(keys) == 0 {
		return CustomerRecord{}, errors.New("customer look-up without a key")
	}
	d := DatasetCustomers
	args := make([]any, 0, 2+len(keys))
	args = append(args, r.keys.versionBase(d), bucketPrefix)
	for _, k := range keys {
		args = append(args, k)
	}
	res, err := customerScript.Run(ctx, r.rdb, []string{r.keys.Current(d)}, args...).Slice()
	if err != nil {
		return CustomerRecord{}, err
	}
	if len(res) == 0 {
		return CustomerRecord{}, errors.New("customer script: empty reply")
	}
	v, err := replyVersion(res[0])
	if err != nil {
		return CustomerRecord{}, err
	}
	rec := CustomerRecord{Version: v}
	if len(res) < 4 {
		return rec, nil // no candidate has a customer
	}
	id, _ := res[1].(string)
	i, _ := res[3].(int64)
	if id == "" || i < 1 || int(i) > len(keys) {
		return rec, errors.New("customer script: malformed reply")
	}
	switch x := res[2].(type) {
	case string:
		rec.Customer = DecodeCustomer(id, x)
	case []any: // a version in the layout before buckets
		rec.Customer = legacyCustomer(id, x)
	}
	rec.Key = keys[i-1]
	return rec, nil
}

func legacyCustomer(id string, fields []any) *Customer {
	c := &Customer{ID: id}
	eachPair(fields, func(k, val string) {
		switch k {
		case fieldName:
			c.Name = val
		case fieldSegment:
			c.Segment = val
		case fieldTier:
			c.Tier = val
		case fieldLanguage:
			c.Language = val
		case fieldRegion:
			c.Region = val
		case fieldProducts:
			if val != "" {
				c.Products = strings.Split(val, ListSep)
			}
		case fieldAccountManager:
			c.AccountManager = val
		}
	})
	return c
}

// CustomerBuckets is the bucket count of a customers version (0: a version
// without meta, written before the bucketed layout or not yet started).
func (r *Repository) CustomerBuckets(ctx context.Context, v int64) (int, error) {
	n, err := r.rdb.HGet(ctx, r.keys.Base(DatasetCustomers, v)+MetaSuffix, MetaBuckets).Int()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return n, err
}

// TicketRecord is a ticket read from Redis.
type TicketRecord struct {
	Version int64
	Ticket  *Ticket // nil when the service has no ticket
}

// Ticket reads the open ticket of a service ID.
func (r *Repository) Ticket(ctx context.Context, sid string) (TicketRecord, error) {
	v, fields, err := r.hash(ctx, DatasetTickets, TicketPrefix+sid, "")
	if err != nil || len(fields) == 0 {
		return TicketRecord{Version: v}, err
	}
	t := &Ticket{ServiceID: sid}
	eachPair(fields, func(k, val string) {
		switch k {
		case fieldTicketID:
			t.TicketID = val
		case fieldStatus:
			t.Status = val
		case fieldUpdatedAt:
			t.UpdatedAt, _ = time.Parse(time.RFC3339, val)
		case fieldETA:
			t.ETA, _ = time.Parse(time.RFC3339, val)
		}
	})
	return TicketRecord{Version: v, Ticket: t}, nil
}

// IncidentRecord is an incident read from Redis.
type IncidentRecord struct {
	Version  int64
	Incident *Incident // nil when no outage is known
}

// Incident reads the known outage of a product in a region, or failing that
// the one declared for all regions ("*"), in one round trip.
func (r *Repository) Incident(ctx context.Context, product, region string) (IncidentRecord, error) {
	fallback := ""
	if region != AllRegions {
		fallback = IncidentPrefix + product + ":" + AllRegions
	}
	v, fields, err := r.hash(ctx, DatasetIncidents, IncidentPrefix+product+":"+region, fallback)
	if err != nil || len(fields) == 0 {
		return IncidentRecord{Version: v}, err
	}
	in := &Incident{Product: product, Region: region}
	eachPair(fields, func(k, val string) {
		switch k {
		case fieldRegion:
			in.Region = val
		case fieldPrompt:
			in.Prompt = val
		case fieldStartedAt:
			in.StartedAt, _ = time.Parse(time.RFC3339, val)
		case fieldExpectedEnd:
			in.ExpectedEnd, _ = time.Parse(time.RFC3339, val)
		}
	})
	return IncidentRecord{Version: v, Incident: in}, nil
}

func (r *Repository) hash(ctx context.Context, d Dataset, suffix, fallback string) (int64, []any, error) {
	args := []any{r.keys.versionBase(d), suffix}
	if fallback != "" {
		args = append(args, fallback)
	}
	res, err := hashScript.Run(ctx, r.rdb, []string{r.keys.Current(d)}, args...).Slice()
	if err != nil {
		return 0, nil, err
	}
	if len(res) != 2 {
		return 0, nil, fmt.Errorf("%s script: reply of %d elements", d, len(res))
	}
	v, err := replyVersion(res[0])
	if err != nil {
		return 0, nil, err
	}
	fields, _ := res[1].([]any)
	return v, fields, nil
}

// CurrentVersion reads the serving version of a dataset (0: none).
func (r *Repository) CurrentVersion(ctx context.Context, d Dataset) (int64, error) {
	s, err := r.rdb.Get(ctx, r.keys.Current(d)).Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(s, 10, 64)
}

// DefaultLeaseTTL is how long a version's lease lives without a heartbeat.
const DefaultLeaseTTL = 30 * time.Second

// NewVersion allocates the next version of a dataset, takes its lease for
// ttl (DefaultLeaseTTL when zero; keep it with Heartbeat) and records the
// version for garbage collection, in that order: a collector that sees the
// version also sees its lease. Nothing reads it until Switch.
func (r *Repository) NewVersion(ctx context.Context, d Dataset, ttl ...time.Duration) (int64, error) {
	lease := DefaultLeaseTTL
	if len(ttl) > 0 && ttl[0] > 0 {
		lease = ttl[0]
	}
	v, err := r.rdb.Incr(ctx, r.keys.Seq(d)).Result()
	if err != nil {
		return 0, fmt.Errorf("allocate %s version: %w", d, err)
	}
	if err := r.rdb.Set(ctx, r.keys.Lease(d, v), time.Now().UTC().Format(time.RFC3339), lease).Err(); err != nil {
		return 0, fmt.Errorf("lease %s version %d: %w", d, v, err)
	}
	if err := r.rdb.ZAdd(ctx, r.keys.Versions(d), redis.Z{Score: float64(time.Now().Unix()), Member: v}).Err(); err != nil {
		return 0, fmt.Errorf("record %s version %d: %w", d, v, err)
	}
	return v, nil
}

// Heartbeat renews the lease of a version being written for ttl.
func (r *Repository) Heartbeat(ctx context.Context, d Dataset, v int64, ttl time.Duration) error {
	if err := r.rdb.Set(ctx, r.keys.Lease(d, v), time.Now().UTC().Format(time.RFC3339), ttl).Err(); err != nil {
		return fmt.Errorf("renew lease of %s version %d: %w", d, v, err)
	}
	return nil
}

// ReleaseLease ends the lease of a version once its import is done.
func (r *Repository) ReleaseLease(ctx context.Context, d Dataset, v int64) error {
	return r.rdb.Del(ctx, r.keys.Lease(d, v)).Err()
}

// Switch makes version v of a dataset the serving one, atomically, and
// announces it on the events channel. It returns the version it replaced.
// A version not newer than the serving one is refused (ErrStaleVersion): two
// concurrent imports cannot roll the data back.
func (r *Repository) Switch(ctx context.Context, d Dataset, v int64) (int64, error) {
	prev, err := switchScript.Run(ctx, r.rdb, []string{r.keys.Current(d)}, v, r.keys.Events(), SwitchEvent(d, v)).Int64()
	if err != nil {
		if strings.HasPrefix(err.Error(), "STALE ") {
			return 0, fmt.Errorf("switch %s to version %d: %w (serving %s)", d, v, ErrStaleVersion, strings.TrimPrefix(err.Error(), "STALE "))
		}
		return 0, fmt.Errorf("switch %s to version %d: %w", d, v, err)
	}
	return prev, nil
}

// DropVersion deletes every key of one version of a dataset (SCAN + UNLINK
// in batches, so Redis is never blocked) and forgets the version. It returns
// the number of keys deleted. Dropping the serving version is refused.
func (r *Repository) DropVersion(ctx context.Context, d Dataset, v int64) (int64, error) {
	cur, err := r.CurrentVersion(ctx, d)
	if err != nil {
		return 0, err
	}
	if v == cur {
		return 0, fmt.Errorf("drop %s version %d: it is serving", d, v)
	}
	match := r.keys.Base(d, v) + "*"
	var total int64
	scan := func(ctx context.Context, c redis.UniversalClient) error {
		var cursor uint64
		for {
			keys, next, err := c.Scan(ctx, cursor, match, 2000).Result()
			if err != nil {
				return err
			}
			if len(keys) > 0 {
				n, err := c.Unlink(ctx, keys...).Result()
				if err != nil {
					return err
				}
				total += n
			}
			if next == 0 {
				return nil
			}
			cursor = next
		}
	}
	if cc, ok := r.rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return scan(ctx, c) })
	} else {
		err = scan(ctx, r.rdb)
	}
	if err != nil {
		return total, fmt.Errorf("drop %s version %d: %w", d, v, err)
	}
	if err := r.rdb.ZRem(ctx, r.keys.Versions(d), v).Err(); err != nil {
		return total, fmt.Errorf("drop %s version %d: %w", d, v, err)
	}
	return total, nil
}

// CollectOld drops every recorded version older than the serving one:
// replaced data and the leftovers of imports that aborted or crashed.
// Versions newer than the serving one may be imports in progress and stay.
func (r *Repository) CollectOld(ctx context.Context, d Dataset) (versions int, keys int64, err error) {
	cur, err := r.CurrentVersion(ctx, d)
	if err != nil || cur == 0 {
		return 0, 0, err
	}
	members, err := r.rdb.ZRange(ctx, r.keys.Versions(d), 0, -1).Result()
	if err != nil {
		return 0, 0, err
	}
	for _, m := range members {
		v, perr := strconv.ParseInt(m, 10, 64)
		if perr != nil || v >= cur {
			continue
		}
		n, err := r.DropVersion(ctx, d, v)
		keys += n
		if err != nil {
			return versions, keys, err
		}
		versions++
	}
	return versions, keys, nil
}

// CollectOrphans drops the versions of a dataset that are not serving and
// whose writer is gone (no lease): what a killed import (SIGKILL, OOM) left
// behind. With old, versions older than the serving one go too, leased or
// not (they can never serve again: Switch only moves forward); without it
// only newer ones. A version whose lease is alive is being written by a
// concurrent import and stays.
func (r *Repository) CollectOrphans(ctx context.Context, d Dataset, old bool) (versions int, keys int64, err error) {
	cur, err := r.CurrentVersion(ctx, d)
	if err != nil {
		return 0, 0, err
	}
	members, err := r.rdb.ZRange(ctx, r.keys.Versions(d), 0, -1).Result()
	if err != nil {
		return 0, 0, err
	}
	for _, m := range members {
		v, perr := strconv.ParseInt(m, 10, 64)
		if perr != nil || v == cur || (v < cur && !old) {
			continue
		}
		if v > cur {
			live, err := r.rdb.Exists(ctx, r.keys.Lease(d, v)).Result()
			if err != nil {
				return versions, keys, err
			}
			if live > 0 {
				continue
			}
		}
		n, err := r.DropVersion(ctx, d, v)
		keys += n
		if err != nil {
			return versions, keys, err
		}
		versions++
	}
	return versions, keys, nil
}

func replyVersion(x any) (int64, error) {
	s, ok := x.(string)
	if !ok {
		return 0, fmt.Errorf("dataset version: unexpected %T", x)
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("dataset version %q: %w", s, err)
	}
	return v, nil
}

func eachPair(fields []any, fn func(k, v string)) {
	for i := 0; i+1 < len(fields); i += 2 {
		k, _ := fields[i].(string)
		v, _ := fields[i+1].(string)
		fn(k, v)
	}
}
