package server

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// loadTLS returns the TLS configuration of --tls-cert/--tls-key, or nil
// without them.
func loadTLS(a Access) (*tls.Config, error) {
	if a.TLSCert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(a.TLSCert, a.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// selfCredentials are the gateway's credentials for its connection to the
// gRPC server of the same process: TLS that accepts exactly the server's own
// certificate, whatever name the certificate was issued for.
func selfCredentials(srv *tls.Config) credentials.TransportCredentials {
	if srv == nil {
		return insecure.NewCredentials()
	}
	own := srv.Certificates[0].Leaf.Raw
	return credentials.NewTLS(&tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by the pin below: hostname checks do not apply to ourselves
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, own) {
				return errors.New("gateway: the gRPC listener did not present this server's certificate")
			}
			return nil
		},
	})
}
