package importer

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
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
	f := make([]string, len(CustomerColumns))
	f[cID] = "C" + strconv.Itoa(10000000+i)
	p := r.IntN(100)
	seg := genSegments[len(genSegments)-1].name
	for _, s := range genSegments {
		if p < s.pct {
			seg = s.name
			break
		}
		p -= s.pct
	}
	first, last := genFirst[r.IntN(len(genFirst))], genLast[r.IntN(len(genLast))]
	if seg == "CONSUMER" {
		f[cName] = first + " " + last
	} else {
		f[cName] = genCompany[r.IntN(len(genCompany))] + " " + last + " " + strconv.Itoa(i)
		f[cAccountManager] = genFirst[r.IntN(len(genFirst))] + " " + genLast[r.IntN(len(genLast))]
	}
	f[cSegment] = seg
	f[cTier] = genTiers[r.IntN(len(genTiers))]
	if seg == "CONSUMER" {
		f[cTier] = "regular"
	}
	f[cLanguage] = "id"
	if r.IntN(10) == 0 {
		f[cLanguage] = "en"
	}
	f[cRegion] = genRegions[r.IntN(len(genRegions))]
	if seg == "CONSUMER" {
		f[cProducts] = "indihome"
	} else {
		a := genProducts[r.IntN(len(genProducts))]
		f[cProducts] = a
		if b := genProducts[r.IntN(len(genProducts))]; b != a {
			f[cProducts] += ";" + b
		}
	}
	// Unique and valid: 0811 + 8 digits (Telkomsel range), a second number
	// for a quarter of the customers in 0812.
	f[cPhones] = "+62811" + pad8(i)
	if i%4 == 0 {
		f[cPhones] += ";0812-" + pad8(i)[:4] + "-" + pad8(i)[4:]
	}
	f[cServiceIDs] = "1" + pad8(i) + "001"
	return rawRow{line: g.line, f: f}, nil
}

func pad8(i int) string {
	s := strconv.Itoa(i % 100000000)
	return strings.Repeat("0", 8-len(s)) + s
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
