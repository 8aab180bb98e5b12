package importer

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
)

// Generator makes synthetic but plausible customers for load tests: unique
// mobile numbers in the 0811/0812 ranges, unique 12-digit service IDs,
// segments, tiers, products and regions in realistic proportions. The same
// seed gives the same customers.
type Generator struct {
	n    int
	i    int
	rnd  *rand.Rand
	line int
	buf  []byte
}

// NewGenerator makes n customers from seed.
func NewGenerator(n int, seed uint64) *Generator {
	return &Generator{n: n, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), line: 1}
}

var (
	genFirst    = []string{"Budi", "Siti", "Agus", "Dewi", "Rudi", "Ayu", "Hendra", "Putri", "Wahyu", "Rina", "Bambang", "Lestari", "Eko", "Nur", "Joko", "Indah", "Made", "Ketut", "Yohanes", "Maria"}
	genLast     = []string{"Santoso", "Wijaya", "Saputra", "Hidayat", "Kusuma", "Pratama", "Nugroho", "Siregar", "Nasution", "Simanjuntak", "Wibowo", "Setiawan", "Gunawan", "Lubis", "Sitompul", "Pangaribuan", "Mandagi", "Wonda"}
	genCompany  = []string{"PT", "CV", "Dinas", "Bank", "Koperasi", "Rumah Sakit", "Universitas", "PT Persero"}
	genRegions  = []string{"jakarta", "jakarta", "jakarta", "surabaya", "bandung", "medan", "semarang", "makassar", "denpasar", "balikpapan", "manado", "jayapura", "ambon"}
	genSegments = []struct {
		name string
		pct  int
	}{{"DBS", 40}, {"CONSUMER", 30}, {"DES", 12}, {"DGS", 12}, {"DWS", 6}}
	genTiers    = []string{"regular", "regular", "regular", "silver", "silver", "gold", "platinum"}
	genProducts = []string{"data_internet", "indihome", "telephony", "wifi_id"}
)

func (g *Generator) next() (rawRow, error) {
	if g.i >= g.n {
		return rawRow{}, io.EOF
	}
	i := g.i
	g.i++
	g.line++
	r := g.rnd
	// Every field is written into one buffer and cut from one string: two
	// allocations per row rather than one per field and concatenation.
	var ends [cAccountManager + 1]int
	b := g.buf[:0]
	end := func(col int) { ends[col] = len(b) }
	b = append(b, 'C')
	b = strconv.AppendInt(b, int64(10000000+i), 10)
	end(cID)
	p := r.IntN(100)
	seg := genSegments[len(genSegments)-1].name
	for _, s := range genSegments {
		if p < s.pct {
			seg = s.name
			break
		}
		p -= s.pct
	}
	consumer := seg == "CONSUMER"
	first, last := genFirst[r.IntN(len(genFirst))], genLast[r.IntN(len(genLast))]
	var amFirst, amLast string
	if consumer {
		b = append(append(append(b, first...), ' '), last...)
	} else {
		b = append(append(append(append(b, genCompany[r.IntN(len(genCompany))]...), ' '), last...), ' ')
		b = strconv.AppendInt(b, int64(i), 10)
		amFirst, amLast = genFirst[r.IntN(len(genFirst))], genLast[r.IntN(len(genLast))]
	}
	end(cName)
	b = append(b, seg...)
	end(cSegment)
	tier := genTiers[r.IntN(len(genTiers))]
	if consumer {
		tier = "regular"
	}
	b = append(b, tier...)
	end(cTier)
	lang := "id"
	if r.IntN(10) == 0 {
		lang = "en"
	}
	b = append(b, lang...)
	end(cLanguage)
	b = append(b, genRegions[r.IntN(len(genRegions))]...)
	end(cRegion)
	if consumer {
		b = append(b, "indihome"...)
	} else {
		a := genProducts[r.IntN(len(genProducts))]
		b = append(b, a...)
		if c := genProducts[r.IntN(len(genProducts))]; c != a {
			b = append(append(b, ';'), c...)
		}
	}
	end(cProducts)
	// Unique and valid: 0811 + 8 digits (Telkomsel range), a second number
	// for a quarter of the customers in 0812.
	b = appendPad8(append(b, "+62811"...), i)
	if i%4 == 0 {
		b = append(b, ";0812-"...)
		n := len(b)
		b = appendPad8(b, i)
		b = append(b[:n+4], '-', b[n+4], b[n+5], b[n+6], b[n+7])
	}
	end(cPhones)
	b = append(appendPad8(append(b, '1'), i), "001"...)
	end(cServiceIDs)
	if !consumer {
		b = append(append(append(b, amFirst...), ' '), amLast...)
	}
	end(cAccountManager)
	g.buf = b
	text := string(b)
	f := make([]string, len(CustomerColumns))
	start := 0
	for col, e := range ends {
		f[col] = text[start:e]
		start = e
	}
	return rawRow{line: g.line, f: f}, nil
}

// appendPad8 appends i mod 10^8 in 8 digits.
func appendPad8(b []byte, i int) []byte {
	i %= 100000000
	for d := 10000000; d > 0; d /= 10 {
		b = append(b, byte('0'+i/d%10))
	}
	return b
}

// GenerateCustomers imports n generated customers through the same
// validation and write path as a file.
func (im *Importer) GenerateCustomers(ctx context.Context, n int, seed uint64) (Summary, error) {
	if n <= 0 || n > 100000000 {
		return Summary{Dataset: customerSpec.dataset}, fmt.Errorf("--generate: %d customers, need 1 to 100000000", n)
	}
	return im.run(ctx, customerSpec, NewGenerator(n, seed), nil, 0, int64(n))
}

// WriteCSV writes the generator's customers as a customers CSV file.
func (g *Generator) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CustomerColumns); err != nil {
		return err
	}
	for {
		r, err := g.next()
		if err == io.EOF {
			break
		}
		if err := cw.Write(r.f); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
