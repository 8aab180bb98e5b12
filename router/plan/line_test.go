package plan

import "testing"

func TestLine(t *testing.T) {
	p := defaultPlan(t)
	if l, ok := p.Line("8000"); !ok || l.TimeZone != "WIB" || l.Language != "id" {
		t.Errorf("Line(8000) = %+v, %v; want the configured WIB line in id", l, ok)
	}
	if l, ok := p.Line("9999"); ok || l.Number != "9999" || l.TimeZone != p.DefaultTimeZone || l.Language != "id" {
		t.Errorf("Line(9999) = %+v, %v; want a line in the default time zone speaking the first language", l, ok)
	}
}
