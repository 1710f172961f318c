package main

import (
	"context"
	"fmt"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testutil/fakeresend"
)

// export builds and downloads one package of -export-size answers through
// the API, with the server's RSS peak of that phase alone.
func (s *suite) export(ctx context.Context, srv *serverProcess, fake *fakeresend.Server) error {
	fmt.Printf("export package of %s\n", megabytes(s.o.exportSize))
	res, err := measureExport(ctx, exportServer{
		BaseURL: srv.BaseURL, PID: srv.PID(), AdminEmail: benchAdminEmail, AdminPassword: benchAdminPassword,
		Emails: fakeEmails(fake),
		Log:    func(format string, args ...any) { fmt.Printf("  "+format+"\n", args...) },
	}, s.o.exportSize)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	s.add(figure{name: fmt.Sprintf("export package of %s: RSS peak while answering, building, downloading", megabytes(res.Answers)),
		value: megabytes(res.PeakRSS), target: "≤ 150 MB", met: res.PeakRSS <= 150<<20,
		note: fmt.Sprintf("upload %s, build %s, download %s", megabytes(res.UploadRSS), megabytes(res.BuildRSS), megabytes(res.DownloadRSS))})
	s.facts = append(s.facts, fmt.Sprintf("Export: %d systems answered %s in %s (%.0f MB/s); the package (%s ZIP) was built in %s (%.0f MB/s of answers) and downloaded in %s (%.0f MB/s).",
		res.Systems, megabytes(res.Answers), res.Upload.Round(100*time.Millisecond), res.UploadMBps, megabytes(res.Bytes),
		res.Build.Round(100*time.Millisecond), res.BuildMBps, res.Download.Round(100*time.Millisecond), res.DownloadMBps))
	return nil
}
