from django.urls import path

from billing import views
from billing.views import (
    claims,
    estimates,
    outputs,
    payments,
    remittances,
    reports,
    submission,
    summary,
)

app_name = "billing"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("claims/", claims.claim_list, name="claim_list"),
    path("claims/build/", claims.claims_build, name="claims_build"),
    path("claims/cms1500.pdf", outputs.claims_cms1500_batch, name="claims_cms1500_batch"),
    path("claims/<int:pk>/cms1500.pdf", outputs.claim_cms1500, name="claim_cms1500"),
    path("superbill/", outputs.superbill, name="superbill"),
    path("superbill/new/", outputs.superbill_form, name="superbill_form"),
    path("claims/<int:pk>/", claims.claim_detail, name="claim_detail"),
    path("claims/<int:pk>/ready/", claims.claim_mark_ready, name="claim_mark_ready"),
    path("claims/<int:pk>/submit/", claims.claim_submit, name="claim_submit"),
    path("claims/<int:pk>/void/", claims.claim_void, name="claim_void"),
    path("claims/<int:pk>/discard/", claims.claim_discard, name="claim_discard"),
    path("claims/<int:pk>/correct/", claims.claim_correct, name="claim_correct"),
    path("claims/<int:pk>/payer-number/", claims.claim_payer_number, name="claim_payer_number"),
    path("claims/<int:pk>/replace/", claims.claim_replace, name="claim_replace"),
    path("claims/<int:pk>/eob/", claims.claim_post_eob, name="claim_post_eob"),
    path("clients/<int:client_pk>/payments/new/", payments.payment_create, name="payment_create"),
    path("clients/<int:client_pk>/statement/", payments.statement_create, name="statement_create"),
    path("payments/<int:pk>/receipt.pdf", payments.payment_receipt, name="payment_receipt"),
    path("payments/<int:pk>/refund/", payments.payment_refund, name="payment_refund"),
    path("statements/", payments.statement_list, name="statement_list"),
    path("statements/<int:pk>/statement.pdf", payments.statement_pdf, name="statement_pdf"),
    path(
        "statements/month/<str:month>/statements.pdf",
        payments.statements_month_pdf,
        name="statements_month_pdf",
    ),
    path("estimates/", estimates.estimate_list, name="estimate_list"),
    path("estimates/new/<int:client_pk>/", estimates.estimate_create, name="estimate_create"),
    path("estimates/<int:pk>/", estimates.estimate_detail, name="estimate_detail"),
    path("estimates/<int:pk>/deliver/", estimates.estimate_deliver, name="estimate_deliver"),
    path("estimates/<int:pk>/discard/", estimates.estimate_discard, name="estimate_discard"),
    path("estimates/<int:pk>/estimate.pdf", estimates.estimate_pdf, name="estimate_pdf"),
    path("send/", submission.send_claims, name="send_claims"),
    path("batches/", submission.batch_list, name="batch_list"),
    path("batches/<int:pk>/download/", submission.batch_download, name="batch_download"),
    path(
        "batches/acknowledgments/",
        submission.acknowledgment_upload,
        name="acknowledgment_upload",
    ),
    path("remittances/", remittances.remittance_list, name="remittance_list"),
    path(
        "remittances/upload/<str:sha256>/",
        remittances.remittance_preview,
        name="remittance_preview",
    ),
    path(
        "remittances/upload/<str:sha256>/post/",
        remittances.remittance_post,
        name="remittance_post",
    ),
    path("remittances/<int:pk>/", remittances.remittance_detail, name="remittance_detail"),
    path(
        "remittances/<int:pk>/match/<int:posting_pk>/",
        remittances.remittance_match,
        name="remittance_match",
    ),
    path("summary/", summary.claim_summary, name="summary"),
    path("summary/payer/<int:payer_id>/", summary.claim_summary_payer, name="summary_payer"),
    path("reports/", reports.index, name="reports"),
    # One URL and name per registered report (reports/services/ is billing:report_services).
    *(
        path(f"reports/{slug}/", reports.show, {"slug": slug}, name=f"report_{slug}")
        for slug in reports.REPORTS
    ),
]
