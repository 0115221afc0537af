package trace

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	rtrace "runtime/trace"
	"sync"
	"testing"
	"time"
)

// recordBlockingTrace records a real Go execution trace of code that
// blocks on a mutex, a channel, syscalls and the network, with user
// tasks, regions and logs, and returns the file's path.
func recordBlockingTrace(t testing.TB, rounds int) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "blocking.trace")
	var buf bytes.Buffer
	if err := rtrace.Start(&buf); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("cannot start tracing (is go test -trace on?): %v", err)
		}
		t.Skipf("cannot start tracing (is go test -trace on?): %v", err)
	}
	blockingWorkload(dir, rounds)
	rtrace.Stop()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func blockingWorkload(dir string, rounds int) {
	ctx, task := rtrace.NewTask(context.Background(), "workload")
	defer task.End()

	// Network: a loopback echo server; the client waits in the netpoller.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
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
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wctx, wt := rtrace.NewTask(ctx, "worker")
			defer wt.End()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				panic(err)
			}
			defer c.Close()
			f, err := os.CreateTemp(dir, "sys")
			if err != nil {
				panic(err)
			}
			defer f.Close()
			buf := make([]byte, 64)
			for n := range work { // channel receive
				rtrace.WithRegion(wctx, "request", func() {
					rtrace.Log(wctx, "item", "got work")
					rtrace.WithRegion(wctx, "locked", func() {
						mu.Lock() // sync.Mutex
						time.Sleep(200 * time.Microsecond)
						mu.Unlock()
					})
					rtrace.WithRegion(wctx, "net", func() {
						c.Write([]byte{byte(n)})
						io.ReadFull(c, buf[:1]) // network
					})
					rtrace.WithRegion(wctx, "file", func() {
						f.Write(buf[:1])
						f.Sync() // syscall
					})
				})
			}
		}()
	}
	for i := 0; i < rounds; i++ {
		work <- i // channel send
		if i%8 == 0 {
			time.Sleep(100 * time.Microsecond)
		}
	}
	close(work)
	wg.Wait()
}
