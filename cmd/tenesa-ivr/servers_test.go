package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/ari"
	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/internal/manifest"
	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
)

func startSim(t *testing.T, name string) *arisim.Server {
	t.Helper()
	sim := arisim.New(arisim.Options{Username: "tenesa", Password: "test", TimeScale: 0.02, SystemName: name})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	return sim
}

// twoBoxApp is serve's controller app for the boxes a and b at urls.
func twoBoxApp(t *testing.T, urlA, urlB string) *controllerApp {
	t.Helper()
	cfg, err := manifest.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Redis.KeyPrefix = redistest.Prefix(t)
	cfg.ARI.Password, cfg.ARI.ReconnectMax = "test", 500*time.Millisecond
	cfg.ARI.Servers = []configs.ARIServer{{Name: "a", URL: urlA}, {Name: "b", URL: urlB}}
	a, err := newControllerApp(cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	return a
}

func waitCond(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestServeTwoBoxesEachCallOnItsBox: serve's app with ari.servers runs one
// controller per box: a call placed on each box reaches the one handler
// with its box's name, the active calls add up over the boxes, and the
// app is ready only while every box is connected.
func TestServeTwoBoxesEachCallOnItsBox(t *testing.T) {
	simA, simB := startSim(t, "a"), startSim(t, "b")
	a := twoBoxApp(t, simA.URL(), simB.URL())
	if len(a.boxes) != 2 || a.boxes[0].name != "a" || a.boxes[1].name != "b" || a.ctl != a.boxes[0].ctl {
		t.Fatalf("boxes %+v", a.boxes)
	}
	if why := a.notReady(); why == "" {
		t.Fatal("ready before any box connected")
	}
	var mu sync.Mutex
	servers := map[string]string{} // channel id → box
	h := func(ctx context.Context, call ari.Call) {
		mu.Lock()
		servers[call.ID()] = call.Info().Server
		mu.Unlock()
		<-ctx.Done()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.runBoxes(ctx, h) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("runBoxes: %v", err)
		}
	}()
	waitCond(t, "both boxes connected", func() bool { return a.notReady() == "" })
	if v := gauge(t, a, "tenesa_ari_connected"); v != 1 {
		t.Errorf("tenesa_ari_connected %v with both boxes up", v)
	}
	var calls []*arisim.Call
	for _, sim := range []*arisim.Server{simA, simB} {
		c, err := sim.PlaceCall(arisim.Caller{Number: "0215550001", Script: []arisim.Step{arisim.Wait(time.Hour)}})
		if err != nil {
			t.Fatal(err)
		}
		calls = append(calls, c)
	}
	waitCond(t, "two active calls handled", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return a.activeCalls() == 2 && len(servers) == 2
	})
	mu.Lock()
	for i, want := range []string{"a", "b"} {
		id := calls[i].ChannelID()
		if got := servers[id]; got != want || !strings.HasPrefix(id, want+"-") {
			t.Errorf("call %s handled as box %q, want %q", id, got, want)
		}
	}
	mu.Unlock()
}

// TestServeNotReadyWhileOneBoxIsDown: box b does not answer: box a serves
// its calls (connected), but /readyz's reason names box b.
func TestServeNotReadyWhileOneBoxIsDown(t *testing.T) {
	simA, simB := startSim(t, "a"), startSim(t, "b")
	deadURL := simB.URL()
	_ = simB.Close()
	a := twoBoxApp(t, simA.URL(), deadURL)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.runBoxes(ctx, func(ctx context.Context, _ ari.Call) { <-ctx.Done() }) }()
	defer func() { cancel(); <-done }()
	waitCond(t, "box a connected", a.boxes[0].ctl.Connected)
	if why := a.notReady(); why != "ARI not connected: server b" {
		t.Errorf("readiness: %q, want box b named", why)
	}
	if v := gauge(t, a, "tenesa_ari_connected"); v != 0 {
		t.Errorf("tenesa_ari_connected %v with box b down, want 0 (1 only with every box)", v)
	}
	c, err := simA.PlaceCall(arisim.Caller{Number: "0215550001", Script: []arisim.Step{arisim.Wait(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	waitCond(t, "box a's call handled", func() bool { return a.activeCalls() == 1 && c.ChannelID() != "" })
}

// gauge reads an unlabelled gauge of the app's registry.
func gauge(t *testing.T, a *controllerApp, name string) float64 {
	t.Helper()
	mfs, err := a.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no gauge %s", name)
	return 0
}
