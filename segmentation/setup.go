package segmentation

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
)

// Stack is the Redis client, repository and compiled rules built from the
// config: what the importer, the lookup command and the router share.
type Stack struct {
	Client redis.UniversalClient
	Repo   *Repository
	Rules  *Rules
}

// NewStack builds a Stack; it does not contact Redis.
func NewStack(rc configs.Redis, sc configs.Segmentation) (*Stack, error) {
	rules, err := NewRules(sc)
	if err != nil {
		return nil, err
	}
	keys, err := NewKeyspace(rc.KeyPrefix)
	if err != nil {
		return nil, err
	}
	client, err := NewRedisClient(rc)
	if err != nil {
		return nil, err
	}
	repo, err := NewRepository(client, keys)
	if err != nil {
		client.Close()
		return nil, err
	}
	return &Stack{Client: client, Repo: repo, Rules: rules}, nil
}

// Ping checks that Redis answers within ctx.
func (s *Stack) Ping(ctx context.Context) error {
	if err := s.Client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}

// Resolver builds a Resolver on the stack with the config's budget, cache
// and breaker. obs may be nil.
func (s *Stack) Resolver(sc configs.Segmentation, log zerolog.Logger, obs Observer) (*Resolver, error) {
	o := OptionsFromConfig(sc, s.Repo, s.Rules, log)
	o.Observer = obs
	return NewResolver(o)
}

// Close closes the Redis client.
func (s *Stack) Close() error { return s.Client.Close() }
