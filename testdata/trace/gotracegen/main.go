// Command gotracegen records a real Go execution trace of a program that
// blocks on a mutex, channels, syscalls (fsync) and the network (a
// loopback TCP echo), with user tasks, regions and logs.
//
//	go run ./testdata/trace/gotracegen -o testdata/trace/blocking.trace -rounds 40
//	go run ./testdata/trace/gotracegen -o /tmp/big.trace -mb 60   # benchmark input
package main

import (
	"context"
	"flag"
	"io"
	"log"
	"net"
	"os"
	"runtime/trace"
	"sync"
	"time"
)

func main() {
	out := flag.String("o", "blocking.trace", "output file")
	rounds := flag.Int("rounds", 40, "work items per batch")
	mb := flag.Int("mb", 0, "keep going until the trace is at least this many MiB")
	workers := flag.Int("workers", 4, "worker goroutines")
	syncEvery := flag.Int("sync", 1, "fsync every N items (the syscall blocking)")
	flag.Parse()
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "gotracegen")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := trace.Start(f); err != nil {
		log.Fatal(err)
	}
	for {
		workload(dir, *rounds, *workers, *syncEvery)
		if *mb == 0 {
			break
		}
		if fi, err := f.Stat(); err == nil && fi.Size() >= int64(*mb)<<20 {
			break
		}
	}
	trace.Stop()
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	fi, _ := os.Stat(*out)
	log.Printf("wrote %s (%d bytes)", *out, fi.Size())
}

func workload(dir string, rounds, workers, syncEvery int) {
	ctx, task := trace.NewTask(context.Background(), "workload")
	defer task.End()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 64)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					time.Sleep(300 * time.Microsecond)
					c.Write(buf[:n])
				}
			}()
		}
	}()
	var wg sync.WaitGroup
	var mu sync.Mutex
	work := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wctx, wt := trace.NewTask(ctx, "worker")
			defer wt.End()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				log.Fatal(err)
			}
			defer c.Close()
			f, err := os.CreateTemp(dir, "sys")
			if err != nil {
				log.Fatal(err)
			}
			defer f.Close()
			buf := make([]byte, 64)
			for n := range work {
				trace.WithRegion(wctx, "request", func() {
					trace.Log(wctx, "item", "got work")
					trace.WithRegion(wctx, "locked", func() {
						mu.Lock()
						time.Sleep(200 * time.Microsecond)
						mu.Unlock()
					})
					trace.WithRegion(wctx, "net", func() {
						c.Write([]byte{byte(n)})
						io.ReadFull(c, buf[:1])
					})
					trace.WithRegion(wctx, "file", func() {
						f.Write(buf[:1])
						if n%syncEvery == 0 {
							f.Sync()
						}
					})
				})
			}
		}()
	}
	for i := 0; i < rounds; i++ {
		work <- i
		if i%8 == 0 {
			time.Sleep(100 * time.Microsecond)
		}
	}
	close(work)
	wg.Wait()
}
