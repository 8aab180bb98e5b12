package configs

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// TimeZones maps the Indonesian zone names lines use to IANA locations.
var TimeZones = map[string]string{
	"WIB":  "Asia/Jakarta",
	"WITA": "Asia/Makassar",
	"WIT":  "Asia/Jayapura",
}

// GreetingBands are the parts of the day the standard greeting names.
var GreetingBands = []string{"pagi", "siang", "sore", "malam"}

// Validate checks every field and returns every problem, each naming file
// and key. Prompts the configuration names must be in prompts.
func (c *Config) Validate(file string, prompts PromptIDs) Problems {
	v := validator{file: file}
	v.check(c.Instance != "", "instance", "must not be empty")

	switch c.Log.Level {
	case "trace", "debug", "info", "warn", "error":
	default:
		v.add("log.level", "%q is not one of trace, debug, info, warn, error", c.Log.Level)
	}
	switch c.Log.Format {
	case "auto", "json", "console":
	default:
		v.add("log.format", "%q is not one of auto, json, console", c.Log.Format)
	}

	v.url("ari.url", c.ARI.URL, "http", "https")
	if c.ARI.WebsocketURL != "" {
		v.url("ari.websocket_url", c.ARI.WebsocketURL, "ws", "wss")
	}
	v.check(c.ARI.Username != "", "ari.username", "must not be empty")
	v.check(c.ARI.Application != "" && !strings.ContainsAny(c.ARI.Application, ", /?&"),
		"ari.application", fmt.Sprintf("%q is not a valid Stasis application name", c.ARI.Application))
	v.positive("ari.request_timeout", c.ARI.RequestTimeout)
	v.positive("ari.reconnect_min", c.ARI.ReconnectMin)
	v.positive("ari.reconnect_max", c.ARI.ReconnectMax)
	v.check(c.ARI.ReconnectMax >= c.ARI.ReconnectMin, "ari.reconnect_max",
		fmt.Sprintf("%s is shorter than ari.reconnect_min %s", c.ARI.ReconnectMax, c.ARI.ReconnectMin))
	v.check(c.ARI.ShutdownGrace >= 0, "ari.shutdown_grace", "must not be negative")
	v.check(c.ARI.MaxCalls >= 0, "ari.max_calls", fmt.Sprintf("%d is negative (0 means no limit)", c.ARI.MaxCalls))
	if f := c.ARI.Failover; f.Enabled {
		v.check(c.ARI.Broadcast, "ari.failover.enabled",
			"needs ari.broadcast: a survivor takes over a dead controller's own application <application>-<instance>")
		v.check(f.LeaseTTL >= 500*time.Millisecond, "ari.failover.lease_ttl",
			fmt.Sprintf("%s is too short (at least 500ms; callers in the IVR wait this long in silence when a controller dies)", f.LeaseTTL))
		v.check(f.RenewEvery >= 50*time.Millisecond && 3*f.RenewEvery <= f.LeaseTTL, "ari.failover.renew_every",
			fmt.Sprintf("%s must be at least 50ms and at most a third of ari.failover.lease_ttl %s (a lease must survive two missed renewals)", f.RenewEvery, f.LeaseTTL))
	}
	c.validateServers(&v)
	if c.ARI.Broadcast {
		v.check(c.Instance == "" || !strings.ContainsAny(c.Instance, ", /?&"), "instance",
			fmt.Sprintf("%q cannot be part of the Stasis application name %q (ari.broadcast)", c.Instance, c.ApplicationName()))
	}

	addrs := c.Redis.Addrs()
	v.check(len(addrs) > 0, "redis.addr", "must name at least one host:port")
	for _, a := range addrs {
		v.hostPort("redis.addr", a)
	}
	v.check(c.Redis.DB >= 0 && c.Redis.DB < 16, "redis.db", fmt.Sprintf("%d is not a database number 0-15", c.Redis.DB))
	v.check(c.Redis.KeyPrefix != "", "redis.key_prefix", "must not be empty (keys of other applications share the server)")
	v.positive("redis.dial_timeout", c.Redis.DialTimeout)
	v.positive("redis.read_timeout", c.Redis.ReadTimeout)
	v.positive("redis.write_timeout", c.Redis.WriteTimeout)
	v.check(c.Redis.PoolSize >= 0, "redis.pool_size", "must not be negative")

	s := c.Segmentation
	v.positive("segmentation.lookup_budget", s.LookupBudget)
	v.check(s.LookupBudget <= 5*time.Second, "segmentation.lookup_budget",
		fmt.Sprintf("%s is longer than a caller should wait (at most 5s)", s.LookupBudget))
	v.check(s.Cache.Size >= 0, "segmentation.cache.size", "must not be negative")
	v.check(s.Cache.TTL >= 0, "segmentation.cache.ttl", "must not be negative")
	v.check(s.Cache.NegativeTTL >= 0, "segmentation.cache.negative_ttl", "must not be negative")
	v.check(s.Breaker.Failures > 0, "segmentation.breaker.failures", "must be at least 1")
	v.positive("segmentation.breaker.cooldown", s.Breaker.Cooldown)
	v.check(len(s.DefaultRegion) == 2, "segmentation.default_region",
		fmt.Sprintf("%q is not a two-letter region code", s.DefaultRegion))
	served := 0
	for name, rule := range s.Segments {
		key := "segmentation.segments." + name
		if rule.Served {
			served++
			continue
		}
		v.check(rule.RedirectPrompt != "", key+".redirect_prompt", "a segment not served needs a redirect prompt")
		if rule.RedirectTarget != "" {
			v.check(isDialString(rule.RedirectTarget), key+".redirect_target",
				fmt.Sprintf("%q is not a number or extension", rule.RedirectTarget))
		}
	}
	v.check(served > 0, "segmentation.segments", "no segment is served")
	v.check(len(s.Tiers) > 0, "segmentation.tiers", "must list at least one tier")
	for name, prio := range s.Tiers {
		v.check(prio >= 0 && prio <= 100, "segmentation.tiers."+name, fmt.Sprintf("priority %d is outside 0-100", prio))
	}
	v.check(len(s.Products) > 0, "segmentation.products", "must list at least one product")
	v.check(len(s.Languages) > 0, "segmentation.languages", "must list at least one language")
	langs := map[string]bool{}
	for _, l := range s.Languages {
		langs[l] = true
	}

	if c.Metrics.Listen != "" {
		v.hostPort("metrics.listen", c.Metrics.Listen)
		v.check(strings.HasPrefix(c.Metrics.Path, "/"), "metrics.path", fmt.Sprintf("%q must start with /", c.Metrics.Path))
	}

	v.check(len(c.Lines) > 0, "lines", "must configure at least one line")
	seen := map[string]int{}
	for i, l := range c.Lines {
		key := fmt.Sprintf("lines[%d]", i)
		v.check(l.Number != "" && isDialString(l.Number), key+".number", fmt.Sprintf("%q is not a number or extension", l.Number))
		if j, dup := seen[l.Number]; dup {
			v.add(key+".number", "%q is already configured in lines[%d]", l.Number, j)
		}
		seen[l.Number] = i
		_, ok := TimeZones[l.TimeZone]
		v.check(ok, key+".timezone", fmt.Sprintf("%q is not one of WIB, WITA, WIT", l.TimeZone))
		v.check(langs[l.Language], key+".language", fmt.Sprintf("%q is not in segmentation.languages", l.Language))
	}

	_, ok := TimeZones[c.Greeting.DefaultTimeZone]
	v.check(ok, "greeting.default_timezone", fmt.Sprintf("%q is not one of WIB, WITA, WIT", c.Greeting.DefaultTimeZone))
	for _, b := range GreetingBands {
		v.check(c.Greeting.Prompts[b] != "", "greeting.prompts."+b, "missing prompt for this part of the day")
	}
	for b := range c.Greeting.Prompts {
		known := false
		for _, g := range GreetingBands {
			known = known || b == g
		}
		v.check(known, "greeting.prompts."+b, "unknown part of the day (pagi, siang, sore, malam)")
	}
	v.check(c.Greeting.Closing != "", "greeting.closing", "must not be empty")

	c.validateFlow(&v, prompts)
	c.validateACD(&v)
	c.validateAgentAPI(&v)
	sortProblems(v.problems)
	return v.problems
}

// Addrs splits Redis.Addr into its addresses.
func (r Redis) Addrs() []string {
	var out []string
	for _, a := range strings.Split(r.Addr, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

type validator struct {
	file     string
	problems Problems
}

func (v *validator) add(key, format string, args ...any) {
	v.problems = append(v.problems, Problem{File: v.file, Key: key, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) check(ok bool, key, msg string) {
	if !ok {
		v.add(key, "%s", msg)
	}
}

func (v *validator) positive(key string, d time.Duration) {
	v.check(d > 0, key, fmt.Sprintf("%s must be a positive duration", d))
}

func (v *validator) url(key, raw string, schemes ...string) {
	u, err := url.Parse(raw)
	if err != nil {
		v.add(key, "%q is not a valid URL: %v", raw, errUnwrapURL(err))
		return
	}
	okScheme := false
	for _, s := range schemes {
		okScheme = okScheme || u.Scheme == s
	}
	if !okScheme {
		v.add(key, "%q must start with %s://", raw, strings.Join(schemes, ":// or "))
		return
	}
	if u.Host == "" {
		v.add(key, "%q has no host", raw)
		return
	}
	if p := u.Port(); p != "" {
		v.hostPort(key, u.Host)
	}
}

func (v *validator) hostPort(key, addr string) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		v.add(key, "%q is not host:port: %v", addr, errUnwrapAddr(err))
		return
	}
	_ = host
	n := 0
	for _, r := range port {
		if r < '0' || r > '9' {
			n = -1
			break
		}
		n = n*10 + int(r-'0')
		if n > 65535 {
			break
		}
	}
	if n <= 0 || n > 65535 {
		v.add(key, "%q has no valid port", addr)
	}
}

func errUnwrapURL(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

func errUnwrapAddr(err error) string {
	if ae, ok := err.(*net.AddrError); ok {
		return ae.Err
	}
	return err.Error()
}

func isDialString(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r == '*' || r == '#' || r == '+') {
			return false
		}
	}
	return true
}
