package router

import (
	"fmt"
	"time"
	_ "time/tzdata" // the three Indonesian zones must resolve on any machine

	"github.com/tenesa-ivr/tenesa-ivr/configs"
)

// Band is a part of the day the standard greeting names.
type Band string

// Greeting bands (DESIGN §4, Telkom call scripts).
const (
	Pagi  Band = "pagi"  // 00:01–10:00
	Siang Band = "siang" // 10:01–15:00
	Sore  Band = "sore"  // 15:01–18:00
	Malam Band = "malam" // 18:01–24:00
)

// BandAt returns the greeting band for a local wall-clock time. Bands are
// in whole minutes and end inclusive: 10:00 is still pagi, 10:01 is siang,
// and midnight (24:00) closes malam.
func BandAt(local time.Time) Band {
	m := local.Hour()*60 + local.Minute()
	switch {
	case m == 0:
		return Malam
	case m <= 10*60:
		return Pagi
	case m <= 15*60:
		return Siang
	case m <= 18*60:
		return Sore
	default:
		return Malam
	}
}

// Zones resolves the WIB/WITA/WIT names once.
type Zones map[string]*time.Location

// LoadZones loads the locations of configs.TimeZones.
func LoadZones() (Zones, error) {
	z := make(Zones, len(configs.TimeZones))
	for name, iana := range configs.TimeZones {
		loc, err := time.LoadLocation(iana)
		if err != nil {
			return nil, fmt.Errorf("time zone %s (%s): %w", name, iana, err)
		}
		z[name] = loc
	}
	return z, nil
}
