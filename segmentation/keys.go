package segmentation

import (
	"fmt"
	"strconv"
	"strings"
)

// Dataset names one independently imported and versioned data set.
type Dataset string

// The three datasets the importer writes.
const (
	DatasetCustomers Dataset = "customers"
	DatasetTickets   Dataset = "tickets"
	DatasetIncidents Dataset = "incidents"
)

// Datasets lists every dataset.
var Datasets = []Dataset{DatasetCustomers, DatasetTickets, DatasetIncidents}

// Keyspace builds the Redis key names (see doc.go for the layout). The
// zero value is unusable; use NewKeyspace.
type Keyspace struct {
	prefix string
}

// DefaultKeyPrefix is used when the config leaves redis.key_prefix empty.
const DefaultKeyPrefix = "tenesa:"

// NewKeyspace validates a key prefix. A prefix containing a hash tag, such as
// "{tenesa}:", keeps every key in one Cluster slot, which the look-up
// scripts need in Redis Cluster.
func NewKeyspace(prefix string) (Keyspace, error) {
	if prefix == "" {
		prefix = DefaultKeyPrefix
	}
	if strings.ContainsAny(prefix, " \t\r\n*?[]") {
		return Keyspace{}, fmt.Errorf("redis.key_prefix: %q contains a blank or a glob character", prefix)
	}
	if o, c := strings.IndexByte(prefix, '{'), strings.IndexByte(prefix, '}'); (o >= 0) != (c >= 0) || c >= 0 && c < o+2 {
		return Keyspace{}, fmt.Errorf("redis.key_prefix: %q has an unbalanced or empty hash tag", prefix)
	}
	return Keyspace{prefix: prefix}, nil
}

// Prefix is the configured prefix.
func (k Keyspace) Prefix() string { return k.prefix }

// HasHashTag reports whether the prefix pins every key to one Cluster slot.
func (k Keyspace) HasHashTag() bool { return strings.Contains(k.prefix, "{") }

// Current is the key holding the serving version of a dataset.
func (k Keyspace) Current(d Dataset) string { return k.prefix + string(d) + ":current" }

// Seq is the counter new versions of a dataset are drawn from.
func (k Keyspace) Seq(d Dataset) string { return k.prefix + string(d) + ":seq" }

// Versions is the sorted set (member version, score start time) of every
// version written and not yet collected.
func (k Keyspace) Versions(d Dataset) string { return k.prefix + string(d) + ":versions" }

// Lease is the key whose presence says the import writing one version of a
// dataset is alive: set with a TTL when the version is allocated and renewed
// by the writer's heartbeat. A version not serving and without a lease is an
// orphan (its import was killed) and may be collected.
func (k Keyspace) Lease(d Dataset, version int64) string {
	return k.prefix + string(d) + ":lease:" + strconv.FormatInt(version, 10)
}

// Base is the prefix of every key of one version of a dataset:
// "{prefix}customers:v7:".
func (k Keyspace) Base(d Dataset, version int64) string {
	return k.prefix + string(d) + ":v" + strconv.FormatInt(version, 10) + ":"
}

// versionBase is Base without the number, for the scripts: "{prefix}customers:v".
func (k Keyspace) versionBase(d Dataset) string { return k.prefix + string(d) + ":v" }

// Events is the pub/sub channel a dataset switch is announced on.
func (k Keyspace) Events() string { return k.prefix + "events" }

// Key suffixes inside a version (DESIGN §3 names).
const (
	CustPrefix     = "cust:"
	ANIPrefix      = "ani:"
	SIDPrefix      = "sid:"
	TicketPrefix   = "ticket:"
	IncidentPrefix = "incident:"
)

// CustomerKey is "{base}cust:{id}".
func CustomerKey(base, id string) string { return base + CustPrefix + id }

// ANIKey is "{base}ani:{e164}".
func ANIKey(base, e164 string) string { return base + ANIPrefix + e164 }

// SIDKey is "{base}sid:{service_id}".
func SIDKey(base, sid string) string { return base + SIDPrefix + sid }

// TicketKey is "{base}ticket:{service_id}".
func TicketKey(base, sid string) string { return base + TicketPrefix + sid }

// IncidentKey is "{base}incident:{product}:{region}".
func IncidentKey(base, product, region string) string {
	return base + IncidentPrefix + product + ":" + region
}

// SwitchEvent is the message published on Events when a dataset switches:
// "customers 7".
func SwitchEvent(d Dataset, version int64) string {
	return string(d) + " " + strconv.FormatInt(version, 10)
}

// ParseSwitchEvent is the inverse of SwitchEvent.
func ParseSwitchEvent(msg string) (Dataset, int64, bool) {
	d, v, ok := strings.Cut(msg, " ")
	if !ok {
		return "", 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return "", 0, false
	}
	return Dataset(d), n, true
}

// The customers dataset is stored in bucketed small hashes rather than one
// key per customer, number and service ID (see doc.go): three key families
// under a version base, and a meta hash saying how many buckets each has.
const (
	MetaSuffix       = "meta"    // hash: buckets, format
	MetaBuckets      = "buckets" // field of meta: the bucket count B
	MetaRows         = "rows"    // field of meta: rows imported (any dataset), for the shrink check
	CustBucketPrefix = "cb:"     // "cb:{b}" hash: customer_id → EncodeCustomer record
	ANIBucketPrefix  = "ab:"     // "ab:{b}" hash: e164 → customer_id
	SIDBucketPrefix  = "sb:"     // "sb:{b}" hash: service_id → customer_id
)

// MaxBuckets bounds the bucket count (so that the look-up script's
// arithmetic stays exact in Lua's doubles).
const MaxBuckets = 1 << 22

// Bucket is the bucket of a hash field among n: a polynomial hash of its
// bytes (h = h*31 + byte, mod n at every step), which the look-up script
// computes the same way in Lua.
func Bucket(field string, n int) int {
	if n <= 1 {
		return 0
	}
	// The same value as reducing at every byte (mod is compatible with *
	// and +), with one division per 8 bytes: h < n <= 2^22 and 31^8 < 2^40,
	// so h*31^8 plus the bytes' part stays below 2^64.
	m := uint64(n)
	var h uint64
	for i := 0; i < len(field); {
		for end := min(i+8, len(field)); i < end; i++ {
			h = h*31 + uint64(field[i])
		}
		h %= m
	}
	return int(h)
}

// BucketKey is "{base}{prefix}{bucket}", e.g. "tenesa:customers:v7:ab:1234".
func BucketKey(base, prefix string, bucket int) string {
	return base + prefix + strconv.Itoa(bucket)
}

// BucketsFor is the bucket count for about n customers: about 24 customers
// per bucket (30 numbers with 1.25 per customer), far below
// hash-max-listpack-entries (128 by default), never a multiple of the hash
// multiplier 31 (which would leave buckets unused).
func BucketsFor(n int64) int {
	b := (n + 23) / 24
	b = max(1, min(b, MaxBuckets))
	if b%31 == 0 {
		b++
	}
	return int(b)
}

// RecordSep separates the fields of an encoded customer record.
const RecordSep = '\x1f'

// EncodeCustomer appends c's record to dst: name, segment, tier, language,
// region, products (";"), account_manager, separated by RecordSep. The
// importer rejects values containing RecordSep.
func EncodeCustomer(dst []byte, c *Customer) []byte {
	dst = append(dst, c.Name...)
	dst = append(dst, RecordSep)
	dst = append(dst, c.Segment...)
	dst = append(dst, RecordSep)
	dst = append(dst, c.Tier...)
	dst = append(dst, RecordSep)
	dst = append(dst, c.Language...)
	dst = append(dst, RecordSep)
	dst = append(dst, c.Region...)
	dst = append(dst, RecordSep)
	for i, p := range c.Products {
		if i > 0 {
			dst = append(dst, ListSep...)
		}
		dst = append(dst, p...)
	}
	dst = append(dst, RecordSep)
	return append(dst, c.AccountManager...)
}

// DecodeCustomer is the inverse of EncodeCustomer; missing trailing
// fields are empty.
func DecodeCustomer(id, rec string) *Customer {
	c := &Customer{ID: id}
	dsts := [...]*string{&c.Name, &c.Segment, &c.Tier, &c.Language, &c.Region, nil, &c.AccountManager}
	for i := range dsts {
		f, rest, more := strings.Cut(rec, string(RecordSep))
		if dsts[i] != nil {
			*dsts[i] = f
		} else if f != "" {
			c.Products = strings.Split(f, ListSep)
		}
		if !more {
			break
		}
		rec = rest
	}
	return c
}
