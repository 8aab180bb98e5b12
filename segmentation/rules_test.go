package segmentation_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
	seg "github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

func TestRulesConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		mutate func(*configs.Segmentation)
		want   string
	}{
		{"no segments", func(s *configs.Segmentation) { s.Segments = nil }, "no segment defined"},
		{"redirect without prompt", func(s *configs.Segmentation) {
			s.Segments["CONSUMER"] = configs.SegmentRule{Served: false, RedirectTarget: "147"}
		}, "segmentation.segments.CONSUMER.redirect_prompt"},
		{"case-insensitive duplicate", func(s *configs.Segmentation) {
			s.Segments["des"] = configs.SegmentRule{Served: true}
		}, "defined twice"},
		{"unknown region", func(s *configs.Segmentation) { s.DefaultRegion = "XX" }, `segmentation.default_region: unknown phone region "XX"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := redistest.SegmentationConfig()
			c.mutate(&cfg)
			_, err := seg.NewRules(cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestRulesDecide(t *testing.T) {
	r, err := seg.NewRules(redistest.SegmentationConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, segment, tier string
		want                seg.Decision
	}{
		{"served platinum", "DES", "platinum", seg.Decision{Identified: true, Served: true, Priority: 4}},
		{"lower-case segment", "dgs", "Gold", seg.Decision{Identified: true, Served: true, Priority: 3}},
		{"unknown tier still identified", "DBS", "diamond", seg.Decision{Identified: true, Served: true}},
		{"consumer redirected", "CONSUMER", "regular", seg.Decision{Identified: true, Redirect: &seg.Redirect{Prompt: "redirect-consumer-147", Target: "147"}, Priority: 1}},
		{"unknown segment", "RETAIL", "gold", seg.Decision{}},
		{"missing segment", "", "gold", seg.Decision{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := r.Decide(c.segment, c.tier)
			if got.Identified != c.want.Identified || got.Served != c.want.Served || got.Priority != c.want.Priority ||
				(got.Redirect == nil) != (c.want.Redirect == nil) || (got.Redirect != nil && *got.Redirect != *c.want.Redirect) {
				t.Fatalf("Decide(%q, %q) = %+v, want %+v", c.segment, c.tier, got, c.want)
			}
		})
	}
}

func TestKeyspace(t *testing.T) {
	for _, c := range []struct {
		name, prefix string
		ok, tag      bool
	}{
		{"default", "", true, false},
		{"hash tag", "{tenesa}:", true, true},
		{"glob", "tenesa*:", false, false},
		{"unbalanced tag", "{tenesa:", false, false},
		{"empty tag", "{}tenesa:", false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			k, err := seg.NewKeyspace(c.prefix)
			if (err == nil) != c.ok {
				t.Fatalf("NewKeyspace(%q) err = %v", c.prefix, err)
			}
			if err == nil && k.HasHashTag() != c.tag {
				t.Fatalf("HasHashTag = %v", k.HasHashTag())
			}
		})
	}
	k, _ := seg.NewKeyspace("")
	if got := seg.ANIKey(k.Base(seg.DatasetCustomers, 7), "+62215551234"); got != "tenesa:customers:v7:ani:+62215551234" {
		t.Fatalf("ANIKey = %q", got)
	}
	d, v, ok := seg.ParseSwitchEvent(seg.SwitchEvent(seg.DatasetTickets, 12))
	if !ok || d != seg.DatasetTickets || v != 12 {
		t.Fatal("switch event does not round-trip")
	}
}

func TestSwitchNeverGoesBackAndCollectsOrphans(t *testing.T) {
	f := newFixture(t, "", nil)
	ctx := context.Background()
	v1, _ := f.repo.NewVersion(ctx, seg.DatasetCustomers)
	v2, _ := f.repo.NewVersion(ctx, seg.DatasetCustomers) // an import that crashes
	v3, _ := f.repo.NewVersion(ctx, seg.DatasetCustomers)
	for _, v := range []int64{v1, v2, v3} {
		f.rdb.Set(ctx, seg.ANIKey(f.keys.Base(seg.DatasetCustomers, v), "+62215551234"), "C1", 0)
	}
	if _, err := f.repo.Switch(ctx, seg.DatasetCustomers, v3); err != nil {
		t.Fatal(err)
	}
	if _, err := f.repo.Switch(ctx, seg.DatasetCustomers, v1); !errors.Is(err, seg.ErrStaleVersion) {
		t.Fatalf("switching back: %v, want ErrStaleVersion", err)
	}
	if _, err := f.repo.DropVersion(ctx, seg.DatasetCustomers, v3); err == nil {
		t.Fatal("dropped the serving version")
	}
	versions, keys, err := f.repo.CollectOld(ctx, seg.DatasetCustomers)
	if err != nil || versions != 2 || keys != 2 {
		t.Fatalf("CollectOld = %d versions, %d keys, %v", versions, keys, err)
	}
	if n, _ := f.rdb.Exists(ctx, seg.ANIKey(f.keys.Base(seg.DatasetCustomers, v3), "+62215551234")).Result(); n != 1 {
		t.Fatal("serving data collected")
	}
}
