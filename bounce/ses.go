package bounce

import (
	"encoding/json"
	"strings"
)

// sesNotification is the JSON Amazon SES sends to SNS for a bounce, complaint or
// delivery (the "Amazon SNS notification contents" of the SES developer guide).
type sesNotification struct {
	NotificationType string `json:"notificationType"`
	EventType        string `json:"eventType"`
	Bounce           *struct {
		BounceType        string `json:"bounceType"`
		BounceSubType     string `json:"bounceSubType"`
		ReportingMTA      string `json:"reportingMTA"`
		RemoteMtaIP       string `json:"remoteMtaIp"`
		BouncedRecipients []struct {
			EmailAddress   string `json:"emailAddress"`
			Action         string `json:"action"`
			Status         string `json:"status"`
			DiagnosticCode string `json:"diagnosticCode"`
		} `json:"bouncedRecipients"`
	} `json:"bounce"`
	Complaint *struct {
		ComplaintFeedbackType string `json:"complaintFeedbackType"`
		UserAgent             string `json:"userAgent"`
		ComplainedRecipients  []struct {
			EmailAddress string `json:"emailAddress"`
		} `json:"complainedRecipients"`
	} `json:"complaint"`
	Delivery *struct {
		Recipients   []string `json:"recipients"`
		SMTPResponse string   `json:"smtpResponse"`
		ReportingMTA string   `json:"reportingMTA"`
		RemoteMtaIP  string   `json:"remoteMtaIp"`
	} `json:"delivery"`
	Mail struct {
		Source        string `json:"source"`
		SourceIP      string `json:"sourceIp"`
		CommonHeaders struct {
			From    []string `json:"from"`
			Subject string   `json:"subject"`
		} `json:"commonHeaders"`
	} `json:"mail"`
}

// parseSES reads an Amazon SES notification, bare or inside an SNS envelope.
func parseSES(data []byte) (*Report, error) {
	var envelope struct {
		Type    string `json:"Type"`
		Message string `json:"Message"`
	}
	if err := json.Unmarshal(data, &envelope); err != nil {
		return nil, &NotBounceError{LooksLike: "JSON that does not parse (" + truncate(err.Error(), 80) + ")"}
	}
	if envelope.Type == "Notification" && strings.HasPrefix(strings.TrimSpace(envelope.Message), "{") {
		data = []byte(envelope.Message)
	}
	var n sesNotification
	if err := json.Unmarshal(data, &n); err != nil {
		return nil, &NotBounceError{LooksLike: "JSON that is not an Amazon SES notification"}
	}
	kind := n.NotificationType
	if kind == "" {
		kind = n.EventType
	}
	rep := &Report{Format: FormatSESJSON, Source: "amazonses", Sender: address(n.Mail.Source), SourceIP: n.Mail.SourceIP,
		Subject: truncate(n.Mail.CommonHeaders.Subject, 998)}
	if len(n.Mail.CommonHeaders.From) > 0 {
		rep.NoticeTo = truncate(n.Mail.CommonHeaders.From[0], 998)
	}
	m := memo{}
	switch {
	case kind == "Bounce" && n.Bounce != nil:
		rep.ReportingMTA = typedValue(n.Bounce.ReportingMTA)
		for _, b := range n.Bounce.BouncedRecipients {
			if len(rep.Recipients) >= maxRecipients {
				break
			}
			rc := Recipient{Address: address(b.EmailAddress), Action: strings.ToLower(b.Action), Status: statusOf(" " + b.Status + " "),
				Diagnostic: typedValue(b.DiagnosticCode), RemoteIP: n.Bounce.RemoteMtaIP}
			finishRecipient(&rc, m)
			// SES says what it knows without a diagnostic: its own suppression list
			// and the bounce type (Permanent/NoEmail, Permanent/Suppressed).
			if rc.Diagnostic == "" {
				rc.Diagnostic = n.Bounce.BounceType + "/" + n.Bounce.BounceSubType
				switch n.Bounce.BounceSubType {
				case "NoEmail":
					rc.Reason = UserUnknown
				case "Suppressed", "OnAccountSuppressionList":
					rc.Reason = Suspend
				case "MailboxFull":
					rc.Reason = MailboxFull
				case "MessageTooLarge":
					rc.Reason = MesgTooBig
				case "ContentRejected":
					rc.Reason = ContentError
				case "AttachmentRejected":
					rc.Reason = VirusDetected
				}
			}
			rep.Recipients = append(rep.Recipients, rc)
		}
	case kind == "Complaint" && n.Complaint != nil:
		rep.Feedback = &FeedbackReport{FeedbackType: n.Complaint.ComplaintFeedbackType, UserAgent: n.Complaint.UserAgent,
			OriginalMailFrom: rep.Sender, SourceIP: rep.SourceIP}
		for _, c := range n.Complaint.ComplainedRecipients {
			rep.Recipients = append(rep.Recipients, Recipient{Address: address(c.EmailAddress), Reason: Feedback,
				Diagnostic: "feedback-type: " + n.Complaint.ComplaintFeedbackType})
		}
	case kind == "Delivery" && n.Delivery != nil:
		rep.ReportingMTA = n.Delivery.ReportingMTA
		for _, a := range n.Delivery.Recipients {
			rc := Recipient{Address: address(a), Action: "delivered", Diagnostic: n.Delivery.SMTPResponse, RemoteIP: n.Delivery.RemoteMtaIP}
			finishRecipient(&rc, m)
			rep.Recipients = append(rep.Recipients, rc)
		}
	}
	if len(rep.Recipients) == 0 {
		return nil, &NotBounceError{LooksLike: "JSON that is not an Amazon SES bounce, complaint or delivery notification"}
	}
	return rep, nil
}
