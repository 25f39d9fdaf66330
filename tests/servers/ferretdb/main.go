// Command clew-ferretdb runs FerretDB v1 (SQLite backend) for Clew's connector tests.
//
// It embeds FerretDB's public `ferretdb` package instead of building cmd/ferretdb, whose
// start-up check wants a generated build/version/version.txt that the module zip lacks.
// It listens on 127.0.0.1 only, optionally also with TLS, and stops cleanly on SIGTERM or
// SIGINT so SQLite files are closed. Authentication: the embeddable package cannot turn on
// FerretDB's SCRAM ("new auth") mode, so the server accepts only PLAIN, without checking the
// password, and refuses SCRAM with error 18 (AuthenticationFailed).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

type options struct {
	listen    string
	tlsListen string
	tlsCert   string
	tlsKey    string
	dataDir   string
	logLevel  string
}

func parseFlags() options {
	var o options
	flag.StringVar(&o.listen, "listen", "127.0.0.1:27117", "plain TCP address (loopback only)")
	flag.StringVar(&o.tlsListen, "tls-listen", "", "TLS address (loopback only); empty disables TLS")
	flag.StringVar(&o.tlsCert, "tls-cert", "", "server certificate PEM file, for -tls-listen")
	flag.StringVar(&o.tlsKey, "tls-key", "", "server private key PEM file, for -tls-listen")
	flag.StringVar(&o.dataDir, "data-dir", "", "directory for the SQLite files (created if missing)")
	flag.StringVar(&o.logLevel, "log-level", "warn", "debug, info, warn or error")
	flag.Parse()
	return o
}

// requireLoopback refuses anything but a loopback address: this server has no authentication.
func requireLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("bad address %q: %w", addr, err)
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("address %q is not a loopback IP; use 127.0.0.1", addr)
	}
	return nil
}

func run(o options) error {
	if o.dataDir == "" {
		return fmt.Errorf("-data-dir is required")
	}
	for _, addr := range []string{o.listen, o.tlsListen} {
		if addr == "" {
			continue
		}
		if err := requireLoopback(addr); err != nil {
			return err
		}
	}
	if o.tlsListen != "" && (o.tlsCert == "" || o.tlsKey == "") {
		return fmt.Errorf("-tls-listen needs -tls-cert and -tls-key")
	}

	dir, err := filepath.Abs(o.dataDir)
	if err != nil {
		return err
	}
	if err = os.MkdirAll(dir, 0o700); err != nil {
		return err
	}

	var level slog.Level
	if err = level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("bad -log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	f, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{
			TCP:         o.listen,
			TLS:         o.tlsListen,
			TLSCertFile: o.tlsCert,
			TLSKeyFile:  o.tlsKey,
		},
		Logger:  logger,
		Handler: "sqlite",
		// FerretDB wants an existing directory, as a URI ending in a slash.
		SQLiteURL: "file:" + strings.TrimSuffix(dir, "/") + "/",
	})
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	// The tests wait for the port, but the line helps whoever reads the log.
	go func() { logger.Warn("clew-ferretdb listening", "uri", f.MongoDBURI()) }()

	return f.Run(ctx)
}

func main() {
	if err := run(parseFlags()); err != nil {
		fmt.Fprintln(os.Stderr, "clew-ferretdb:", err)
		os.Exit(1)
	}
}
