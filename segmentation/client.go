package segmentation

import (
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
)

// NewRedisClient builds a go-redis UniversalClient from the config: one
// address → a single node, MasterName set → Sentinel (failover client),
// several addresses without MasterName → Cluster. Context deadlines bound
// every network operation (ContextTimeoutEnabled), which the look-up budget
// relies on.
func NewRedisClient(c configs.Redis) (redis.UniversalClient, error) {
	var addrs []string
	for _, a := range strings.Split(c.Addr, ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("redis.addr: no address in %q", c.Addr)
	}
	if len(addrs) > 1 && c.MasterName == "" && c.DB != 0 {
		return nil, fmt.Errorf("redis.db: %d is not allowed with a Cluster (several addresses, no master_name)", c.DB)
	}
	return redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:                 addrs,
		MasterName:            c.MasterName,
		Username:              c.Username,
		Password:              c.Password,
		DB:                    c.DB,
		DialTimeout:           c.DialTimeout,
		ReadTimeout:           c.ReadTimeout,
		WriteTimeout:          c.WriteTimeout,
		PoolSize:              c.PoolSize,
		ContextTimeoutEnabled: true,
		// The look-up budget, not retries, bounds a look-up; one retry
		// covers a connection the server closed while idle.
		MaxRetries: 1,
	}), nil
}
