package recorder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// ObjectStore is where chunks and manifests go: S3 in production and the local stack, a directory for the
// command's local mode and the unit tests.
type ObjectStore interface {
	PutFile(ctx context.Context, key, path, contentType string) error
	PutBytes(ctx context.Context, key string, body []byte, contentType string) error
	Delete(ctx context.Context, key string) error
	// Get reads an object whole (a manifest being continued); ErrObjectMissing when there is none.
	Get(ctx context.Context, key string) ([]byte, error)
}

var ErrObjectMissing = errors.New("no such object")

// S3Config: an S3 endpoint (AWS or compatible) and the bucket recordings go to.
type S3Config struct {
	Endpoint  string // https://s3.us-east-1.amazonaws.com, http://127.0.0.1:7070
	Region    string
	Bucket    string
	AccessKey string
	SecretKey string
}

type s3Store struct {
	client *minio.Client
	bucket string
}

func NewS3Store(cfg S3Config) (ObjectStore, error) {
	endpoint, err := url.Parse(cfg.Endpoint)
	if err != nil || endpoint.Host == "" || (endpoint.Scheme != "http" && endpoint.Scheme != "https") {
		return nil, fmt.Errorf("S3 endpoint must be an http(s) URL")
	}
	client, err := minio.New(endpoint.Host, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: endpoint.Scheme == "https",
		Region: cfg.Region,
		// Path style: bucket subdomains of 127.0.0.1 don't resolve, and every S3 takes path style.
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		return nil, err
	}
	return &s3Store{client: client, bucket: cfg.Bucket}, nil
}

func (s *s3Store) PutFile(ctx context.Context, key, path, contentType string) error {
	_, err := s.client.FPutObject(ctx, s.bucket, key, path, minio.PutObjectOptions{ContentType: contentType})
	return err
}

func (s *s3Store) PutBytes(ctx context.Context, key string, body []byte, contentType string) error {
	_, err := s.client.PutObject(ctx, s.bucket, key, bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{ContentType: contentType})
	return err
}

func (s *s3Store) Delete(ctx context.Context, key string) error {
	return s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
}

func (s *s3Store) Get(ctx context.Context, key string) ([]byte, error) {
	object, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, err
	}
	defer object.Close()
	body, err := io.ReadAll(object)
	if err != nil && minio.ToErrorResponse(err).Code == "NoSuchKey" {
		return nil, ErrObjectMissing
	}
	return body, err
}

type dirStore struct{ root string }

// NewDirStore keeps objects as files under root, keys as relative paths.
func NewDirStore(root string) ObjectStore { return dirStore{root: root} }

func (d dirStore) path(key string) (string, error) {
	clean := filepath.Clean(filepath.FromSlash(key))
	if filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("key %q leaves the store", key)
	}
	return filepath.Join(d.root, clean), nil
}

func (d dirStore) PutFile(_ context.Context, key, path, _ string) error {
	src, err := os.Open(path)
	if err != nil {
		return err
	}
	defer src.Close()
	body, err := io.ReadAll(src)
	if err != nil {
		return err
	}
	return d.PutBytes(context.Background(), key, body, "")
}

// Written beside and renamed into place: a reader (or a crash) never sees half an object.
func (d dirStore) PutBytes(_ context.Context, key string, body []byte, _ string) error {
	target, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(target+".tmp", body, 0o600); err != nil {
		return err
	}
	return os.Rename(target+".tmp", target)
}

func (d dirStore) Delete(_ context.Context, key string) error {
	target, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(target); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

func (d dirStore) Get(_ context.Context, key string) ([]byte, error) {
	target, err := d.path(key)
	if err != nil {
		return nil, err
	}
	body, err := os.ReadFile(target)
	if os.IsNotExist(err) {
		return nil, ErrObjectMissing
	}
	return body, err
}
