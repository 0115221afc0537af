// Command bigprofile records a large real heap profile with runtime/pprof,
// for bench/pprof.sh: every allocation comes from a distinct call path (16
// call sites per level, -depth levels, 3 allocation sites at the leaf), and
// with MemProfileRate=1 the runtime keeps one record per path.
//
//	go run ./bench/bigprofile -out /tmp/big.pprof -depth 5
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"runtime/pprof"
)

var keep [][]byte

func main() {
	out := flag.String("out", "/tmp/hotpath-big.pprof", "where to write the heap profile")
	depth := flag.Int("depth", 5, "recursion depth: 16^depth × 3 distinct stacks")
	flag.Parse()
	runtime.MemProfileRate = 1
	rec(*depth, 0)
	runtime.GC()
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		log.Fatal(err)
	}
	f.Close()
	st, _ := os.Stat(*out)
	fmt.Printf("wrote %s: %d bytes\n", *out, st.Size())
}

// rec descends through one of 16 distinct call sites per level, so every
// path is a distinct stack of PCs.
//
//go:noinline
func rec(d, path int) {
	if d == 0 {
		leaf(path)
		return
	}
	for i := 0; i < 16; i++ {
		switch i {
		case 0:
			rec(d-1, path*16+0)
		case 1:
			rec(d-1, path*16+1)
		case 2:
			rec(d-1, path*16+2)
		case 3:
			rec(d-1, path*16+3)
		case 4:
			rec(d-1, path*16+4)
		case 5:
			rec(d-1, path*16+5)
		case 6:
			rec(d-1, path*16+6)
		case 7:
			rec(d-1, path*16+7)
		case 8:
			rec(d-1, path*16+8)
		case 9:
			rec(d-1, path*16+9)
		case 10:
			rec(d-1, path*16+10)
		case 11:
			rec(d-1, path*16+11)
		case 12:
			rec(d-1, path*16+12)
		case 13:
			rec(d-1, path*16+13)
		case 14:
			rec(d-1, path*16+14)
		case 15:
			rec(d-1, path*16+15)
		}
	}
}

//go:noinline
func leaf(path int) {
	a := make([]byte, 16+path%64)
	b := make([]byte, 32+path%32)
	c := make([]byte, 64+path%16)
	if path%1000 == 0 {
		keep = append(keep, a, b, c)
	}
}
