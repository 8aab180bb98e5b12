package importer

import (
	"context"
	"strings"
	"testing"
)

// TestErrorsNeverEchoPersonalDataOrHugeValues: a shifted column puts a
// customer's name in segment and a phone number in products; a 1 MB garbage
// field lands in tier. The errors mask the name and the number as the logs
// do and cap what they quote.
func TestErrorsNeverEchoPersonalDataOrHugeValues(t *testing.T) {
	e := newEnv(t)
	huge := strings.Repeat("x", 1<<20)
	csv := "customer_id,name,segment,tier,language,region,products,phones,service_ids,account_manager\n" +
		"S-1,PT Satu,Budi Santoso,gold,id,jakarta,data_internet,021-555-0001,900000000001,\n" +
		"S-2,PT Dua,DES,gold,id,jakarta,0812-3456-7890,021-555-0002,900000000002,\n" +
		"S-3,PT Tiga,DES," + huge + ",id,jakarta,data_internet,021-555-0003,900000000003,\n" +
		"S-4,PT Empat,DES,gold,id,jakarta,data_internet,021-555-0004,900000000004,\n"
	sum, err := e.importer(t, 10).Customers(context.Background(), Source{R: strings.NewReader(csv)})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Bad != 3 || len(sum.Errors) != 3 {
		t.Fatalf("summary %+v", sum)
	}
	for _, leak := range []string{"Budi", "Santoso", "3456", "0812", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"} {
		for _, re := range sum.Errors {
			if strings.Contains(re.Error(), leak) {
				t.Errorf("error %q echoes %q", re.Error(), leak)
			}
		}
	}
	for i, want := range []string{`unknown segment "B. S."`, `unknown product "***********890"`, "longer than 64"} {
		if got := sum.Errors[i].Error(); !strings.Contains(got, want) || len(got) > 400 {
			t.Errorf("error %d = %.500q, want it to contain %q and be short", i, got, want)
		}
	}
}

// TestEchoCapsAndMasks: the quoting rule itself.
func TestEchoCapsAndMasks(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"a code is quoted as is", "RETAIL", `"RETAIL"`},
		{"a name is masked", "Budi Santoso", `"B. S."`},
		{"a number is masked", "+6281234567890", `"+62********890"`},
		{"a long value is cut and says its length", strings.Repeat("a", 100), `"` + strings.Repeat("a", 32) + `"… (100 bytes)`},
		{"a cut never splits a rune", strings.Repeat("a", 31) + "é" + "b", `"` + strings.Repeat("a", 31) + `"… (34 bytes)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := echo(c.in); got != c.want {
				t.Fatalf("echo(%.40q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

// TestOverlongFieldsAreRejectedWithTheirRow: a 1 MB name or a list of 1,000
// products is not imported; the row is reported with its field and line.
func TestOverlongFieldsAreRejectedWithTheirRow(t *testing.T) {
	e := newEnv(t)
	csv := "customer_id,name,segment,tier,language,region,products,phones,service_ids,account_manager\n" +
		"L-1," + strings.Repeat("N", 1<<20) + ",DES,gold,id,jakarta,data_internet,021-555-0001,900000000001,\n" +
		"L-2,PT Dua,DES,gold,id,jakarta," + strings.Repeat("telephony;", 1000) + ",021-555-0002,900000000002,\n" +
		"L-3,PT Tiga,DES,gold,id,jakarta,data_internet,021-555-0003,900000000003," + strings.Repeat("M", MaxNameLen+1) + "\n" +
		"L-4,PT Empat,DES,gold,id,jakarta,data_internet,021-555-0004,900000000004,\n"
	sum, err := e.importer(t, 10).Customers(context.Background(), Source{R: strings.NewReader(csv)})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line  int
		field string
	}{{2, "name"}, {3, "products"}, {4, "account_manager"}}
	if sum.Imported != 1 || len(sum.Errors) != len(want) {
		t.Fatalf("summary %+v", sum)
	}
	for i, w := range want {
		if got := sum.Errors[i]; got.Line != w.line || got.Field != w.field {
			t.Errorf("error %d = %q, want line %d field %s", i, got.Error(), w.line, w.field)
		}
	}
}
