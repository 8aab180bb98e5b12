package segmentation

import (
	"sync"
	"time"
)

// cache is a bounded, sharded TTL cache of look-up answers, positive and
// negative. A hit takes a read lock and does not allocate. When a shard is
// full, an insert evicts the entry that expires first among a few sampled
// (an approximation of LRU by insertion time, without a list to maintain on
// every hit).
type cache struct {
	shards   [cacheShards]cacheShard
	perShard int
	ttl      time.Duration
	negTTL   time.Duration
}

const (
	cacheShards = 16
	evictSample = 8
)

type cacheShard struct {
	mu sync.RWMutex
	m  map[string]cacheEntry
}

type cacheEntry struct {
	key     string    // the map key, kept to hand it out without allocating
	found   string    // the key the answer is for when not key itself (an ambiguous number's reading)
	cust    *Customer // nil: negative entry (unknown)
	expires int64     // unix nanoseconds
	version int64     // dataset version the answer came from
}

// newCache returns nil (no caching) when size or ttl is not positive.
func newCache(size int, ttl, negTTL time.Duration) *cache {
	if size <= 0 || ttl <= 0 {
		return nil
	}
	c := &cache{perShard: max(1, (size+cacheShards-1)/cacheShards), ttl: ttl, negTTL: negTTL}
	for i := range c.shards {
		c.shards[i].m = make(map[string]cacheEntry)
	}
	return c
}

func (c *cache) shard(key []byte) *cacheShard {
	h := uint32(2166136261) // FNV-1a
	for _, b := range key {
		h = (h ^ uint32(b)) * 16777619
	}
	return &c.shards[h%cacheShards]
}

// get returns a live entry for key from a dataset version not older than
// minVersion.
func (c *cache) get(key []byte, now int64, minVersion int64) (cacheEntry, bool) {
	s := c.shard(key)
	s.mu.RLock()
	e, ok := s.m[string(key)]
	s.mu.RUnlock()
	if !ok || now >= e.expires || e.version < minVersion {
		return cacheEntry{}, false
	}
	return e, true
}

// put stores an answer (for the number or ID found, when not key) unless a newer dataset version is already known
// (current is read under the shard lock, after which Purge clears the shard).
func (c *cache) put(key, found string, cust *Customer, version int64, now int64, current func() int64) {
	ttl := c.ttl
	if cust == nil {
		if c.negTTL <= 0 {
			return
		}
		ttl = c.negTTL
	}
	s := c.shard([]byte(key))
	s.mu.Lock()
	defer s.mu.Unlock()
	if version < current() {
		return // answer from a dataset already replaced
	}
	if _, exists := s.m[key]; !exists && len(s.m) >= c.perShard {
		s.evict(now)
	}
	e := cacheEntry{key: key, cust: cust, expires: now + int64(ttl), version: version}
	if found != key {
		e.found = found
	}
	s.m[key] = e
}

func (s *cacheShard) evict(now int64) {
	var victim string
	oldest, n := int64(1<<63-1), 0
	for k, e := range s.m {
		if e.expires <= now {
			delete(s.m, k)
			return
		}
		if e.expires < oldest {
			oldest, victim = e.expires, k
		}
		if n++; n == evictSample {
			break
		}
	}
	delete(s.m, victim)
}

// purge drops every entry: the dataset switched.
func (c *cache) purge() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		clear(s.m)
		s.mu.Unlock()
	}
}

func (c *cache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}
