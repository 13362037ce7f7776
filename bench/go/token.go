// The seed design as a db token peer: aws-sdk-go-v2 config.LoadDefaultConfig, then
// feature/rds/auth.BuildAuthToken. Built offline by bench/run.sh from Debian's packages
// (golang-go, golang-github-aws-aws-sdk-go-v2-dev): GO111MODULE=off GOPATH=<dir>:/usr/share/gocode.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: token HOST:PORT REGION USER")
		os.Exit(2)
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "config:", err)
		os.Exit(1)
	}
	tok, err := auth.BuildAuthToken(ctx, os.Args[1], os.Args[2], os.Args[3], cfg.Credentials)
	if err != nil {
		fmt.Fprintln(os.Stderr, "token:", err)
		os.Exit(1)
	}
	fmt.Println(tok)
}
