package router

import (
	"testing"
	"time"
)

func TestBandAtBoundaries(t *testing.T) {
	zones, err := LoadZones()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		zone string
		hh   int
		mm   int
		want Band
	}{
		{"WIB midnight closes malam", "WIB", 0, 0, Malam},
		{"WIB 00:01 opens pagi", "WIB", 0, 1, Pagi},
		{"WIB 10:00 still pagi", "WIB", 10, 0, Pagi},
		{"WIB 10:01 siang", "WIB", 10, 1, Siang},
		{"WITA 15:00 still siang", "WITA", 15, 0, Siang},
		{"WITA 15:01 sore", "WITA", 15, 1, Sore},
		{"WIT 18:00 still sore", "WIT", 18, 0, Sore},
		{"WIT 18:01 malam", "WIT", 18, 1, Malam},
		{"WIT 23:59 malam", "WIT", 23, 59, Malam},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			local := time.Date(2026, 11, 27, tt.hh, tt.mm, 30, 0, zones[tt.zone])
			if got := BandAt(local); got != tt.want {
				t.Errorf("BandAt(%s %s) = %s, want %s", local.Format("15:04:05"), tt.zone, got, tt.want)
			}
		})
	}
}

func TestSameInstantDiffersByZone(t *testing.T) {
	zones, err := LoadZones()
	if err != nil {
		t.Fatal(err)
	}
	// 02:30 UTC is 09:30 WIB (pagi), 10:30 WITA (siang), 11:30 WIT (siang).
	at := time.Date(2026, 11, 27, 2, 30, 0, 0, time.UTC)
	want := map[string]Band{"WIB": Pagi, "WITA": Siang, "WIT": Siang}
	for zone, b := range want {
		if got := BandAt(at.In(zones[zone])); got != b {
			t.Errorf("%s: got %s, want %s", zone, got, b)
		}
	}
}
