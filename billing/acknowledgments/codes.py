"""The 999 and 277CA codes in our own short words (any code not listed shows as itself)."""

from __future__ import annotations

# ---------------------------------------------------------------------------------------
# Codes in our own short words. Any code not listed shows as itself.

# IK304: what is wrong with a segment (X12 999, data element 620).
SEGMENT_ERRORS = {
    "1": "is not a segment the standard knows",
    "2": "is not expected there",
    "3": "is required and missing",
    "4": "repeats its loop too often",
    "5": "appears too often",
    "6": "is not part of this transaction",
    "7": "is out of order",
    "8": "has an element in error",
    "I4": "must not be sent in this guide",
    "I6": "is missing though the guide requires it here",
    "I7": "repeats its loop too few times",
    "I8": "appears too few times",
    "I9": "must not be sent in this situation",
}
# IK403: what is wrong with an element (data element 621).
ELEMENT_ERRORS = {
    "1": "is required and missing",
    "2": "is required here and missing",
    "3": "is one element too many",
    "4": "is too short",
    "5": "is too long",
    "6": "has a character X12 does not allow",
    "7": "is not a valid code",
    "8": "is not a valid date",
    "9": "is not a valid time",
    "10": "must not be sent together with another element",
    "12": "repeats too often",
    "13": "has too many parts",
    "I6": "is a code this guide does not use",
    "I9": "is missing though the guide requires it here",
    "I10": "must not be sent in this guide",
    "I11": "repeats too few times",
    "I12": "does not have the form the guide asks for",
    "I13": "must not be sent in this situation",
}
# IK501 and AK901: the verdict on a transaction set or a group.
VERDICTS = {
    "A": "accepted",
    "E": "accepted with errors noted",
    "P": "partly accepted",
    "M": "rejected (message authentication failed)",
    "R": "rejected",
    "W": "rejected (failed validity tests)",
    "X": "rejected (could not be read after decryption)",
}
ACCEPTING = {"A", "E"}
# IK502–IK506 and AK905–AK909: why a whole transaction set or group was refused.
SET_ERRORS = {
    "1": "this kind of transaction is not supported",
    "2": "the trailer (SE/GE) is missing",
    "3": "the control numbers in header and trailer differ",
    "4": "the segment (or transaction) count is wrong",
    "5": "one or more segments are in error",
    "6": "the transaction set identifier is missing or wrong",
    "7": "the control number is missing or wrong",
    "18": "the transaction is not in a functional group",
    "19": "the implementation guide named is wrong",
    "23": "the control number is used twice in the group",
    "I5": "one or more segments are in error",
    "I6": "this implementation guide is not supported",
}
# STC01-1 (code source 507): the kind of answer a 277CA gives.
CATEGORIES = {
    "A0": "forwarded to another entity",
    "A1": "received",
    "A2": "accepted into the payer's claim system",
    "A3": "returned as unprocessable",
    "A4": "not found",
    "A5": "split on acceptance",
    "A6": "information missing",
    "A7": "information invalid",
    "A8": "fields that contradict each other",
    "E0": "not answered: error in what was sent",
    "E1": "not answered: the payer's system is unavailable",
    "E2": "not answered: the payer is not responding, send again later",
    "E3": "not answered: fields that contradict each other",
    "E4": "not answered: a trading partner requirement is not met",
}
REJECTING_CATEGORIES = {"A3", "A4", "A6", "A7", "A8"}
# STC01-2 (code source 508): the status codes a therapy practice meets most.
STATUSES = {
    "0": "no more detail electronically",
    "1": "see the remittance for details",
    "3": "decided, waiting for the payment cycle",
    "16": "forwarded",
    "19": "receipt acknowledged",
    "20": "accepted for processing",
    "21": "information missing or invalid",
    "187": "date(s) of service",
    "400": "claim out of balance",
    "562": "NPI",
}
# STC01-3 and NM101 (data element 98): whom a status or a segment is about.
ENTITIES = {
    "03": "dependent",
    "1P": "provider",
    "36": "employer",
    "40": "receiver",
    "41": "submitter",
    "71": "attending provider",
    "72": "operating provider",
    "73": "other provider",
    "77": "service facility",
    "82": "rendering provider",
    "85": "billing provider",
    "87": "pay-to provider",
    "AY": "clearinghouse",
    "DN": "referring provider",
    "DQ": "supervising provider",
    "IL": "subscriber",
    "PR": "payer",
    "QC": "patient",
}


def _words(table: dict[str, str], code: str, what: str) -> str:
    return table.get(code, f"{what} {code}")
