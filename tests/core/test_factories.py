from tests.factories import CaseFactory, ConsultationFactory, ReferralFactory


def test_factories_build_a_consistent_case_graph(kochi) -> None:
    consultation = ConsultationFactory()
    referral = ReferralFactory(case=consultation.case)
    assert consultation.case.municipality == consultation.case.person.municipality
    assert referral.case == consultation.case
    assert CaseFactory().number != consultation.case.number
