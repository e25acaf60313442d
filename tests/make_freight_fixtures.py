#!/usr/bin/env python3
"""Writes fixtures/cte and fixtures/mdfe: small CT-e, CT-e OS and MDF-e files of the layouts
public samples do not cover (CT-e 1.03 and 4.00, CT-e OS 4.00, MDF-e without a namespace),
their events, and a broken twin for each failure batchimp types. The real public samples are
in fixtures/public (see its SOURCES.md). Run it from anywhere; output is deterministic."""
import os, shutil
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
for d in ('cte', 'mdfe'):
    shutil.rmtree(os.path.join(OUT, d), ignore_errors=True)
    os.makedirs(os.path.join(OUT, d))

def dv(k43):
    s = sum((ord(d)-48)*(2+i%8) for i, d in enumerate(reversed(k43)))
    r = s % 11
    return '0' if r < 2 else str(11-r)

def key(uf, aamm, cnpj, mod, serie, n, code):
    k = f"{uf}{aamm}{cnpj}{mod:02d}{serie:03d}{n:09d}1{code:08d}"
    assert len(k) == 43, k
    return k+dv(k)

def bad_digit(k): return k[:43]+str((int(k[43])+1) % 10)

def write(path, text):
    open(os.path.join(OUT, path), 'wb').write(('<?xml version="1.0" encoding="UTF-8"?>\n'+text+'\n').encode())

NS_CTE = 'http://www.portalfiscal.inf.br/cte'
NS_MDFE = 'http://www.portalfiscal.inf.br/mdfe'
T = '49929194000284'        # the carrier (the NF-e fixtures' transporter)
C = '12345678000195'        # the NF-e fixtures' issuer, the sender here
# NF-e of fixtures/nfe: nfe-v4-authorized.xml and nfe-v3.10-prefixed-unsigned.xml
K_AUTHORIZED = '35261012345678000195550010000010011100100101'
K_BARE = '35261012345678000195550010000010021100200200'
SIG = '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignatureValue>c2ln</SignatureValue></Signature>'

def party(tag, doc, name, uf, ender):
    kind = 'CPF' if len(doc) == 11 else 'CNPJ'
    return f'<{tag}><{kind}>{doc}</{kind}><xNome>{name}</xNome><{ender}><xMun>Cidade</xMun><UF>{uf}</UF></{ender}></{tag}>'

def cte(k, *, versao='4.00', root='CTe', toma='<toma3><toma>3</toma></toma3>', comps=(), icms='', carga='', docs='', os_part='', parties=None):
    mod = k[20:22]
    ide = (f'<ide><cUF>{k[:2]}</cUF><cCT>{k[35:43]}</cCT><CFOP>6353</CFOP><natOp>PRESTACAO DE SERVICO DE TRANSPORTE</natOp><mod>{mod}</mod>'
           f'<serie>{int(k[22:25])}</serie><nCT>{int(k[25:34])}</nCT><dhEmi>2026-10-06T08:30:00-03:00</dhEmi><tpImp>1</tpImp><tpEmis>1</tpEmis>'
           f'<cDV>{k[43]}</cDV><tpAmb>2</tpAmb><tpCTe>0</tpCTe><procEmi>0</procEmi><verProc>1.0</verProc><cMunEnv>3550308</cMunEnv><xMunEnv>SAO PAULO</xMunEnv>'
           f'<UFEnv>SP</UFEnv><modal>01</modal><tpServ>{"6" if mod == "67" else "0"}</tpServ><cMunIni>3550308</cMunIni><xMunIni>SAO PAULO</xMunIni><UFIni>SP</UFIni>'
           f'<cMunFim>3106200</cMunFim><xMunFim>BELO HORIZONTE</xMunFim><UFFim>MG</UFFim>{toma}</ide>')
    emit = f'<emit><CNPJ>{T}</CNPJ><IE>111111111111</IE><xNome>Transportes Rápidos &amp; Cia</xNome><enderEmit><xMun>SAO PAULO</xMun><UF>SP</UF></enderEmit></emit>'
    if parties is None:
        parties = (party('rem', C, 'Comércio São João Ltda', 'SP', 'enderReme')
                   + party('dest', '98765432000198', 'Distribuidora Araújo &amp; Filhos S.A.', 'MG', 'enderDest'))
    total = sum(float(v) for _, v in comps)
    vprest = f'<vPrest><vTPrest>{total:.2f}</vTPrest><vRec>{total:.2f}</vRec>' + ''.join(
        f'<Comp><xNome>{n}</xNome><vComp>{v}</vComp></Comp>' for n, v in comps) + '</vPrest>'
    imp = f'<imp><ICMS>{icms}</ICMS></imp>'
    norm = f'<infCTeNorm>{carga}{os_part}{docs}<infModal versaoModal="{versao}"><rodo><RNTRC>12345678</RNTRC></rodo></infModal></infCTeNorm>'
    xmlns = f' xmlns="{NS_CTE}"'
    attr = f' versao="{versao}"' if root == 'CTeOS' else ''
    return f'<{root}{xmlns}{attr}><infCte Id="CTe{k}" versao="{versao}">{ide}{emit}{parties}{vprest}{imp}{norm}</infCte>{SIG}</{root}>'

def prot(k, tag='protCTe', ch='chCTe', cstat='100', motivo='Autorizado o uso do CT-e', versao='4.00'):
    return (f'<{tag} versao="{versao}"><infProt><tpAmb>2</tpAmb><verAplic>SP-CTe-2026</verAplic><{ch}>{k}</{ch}>'
            f'<dhRecbto>2026-10-06T08:30:09-03:00</dhRecbto><nProt>135260000100001</nProt><cStat>{cstat}</cStat><xMotivo>{motivo}</xMotivo></infProt></{tag}>')

ICMS00 = '<ICMS00><CST>00</CST><vBC>262.50</vBC><pICMS>12.00</pICMS><vICMS>31.50</vICMS></ICMS00>'
CARGA = ('<infCarga><vCarga>309.50</vCarga><proPred>CAFÉ E AÇÚCAR</proPred>'
         '<infQ><cUnid>01</cUnid><tpMed>PESO BRUTO</tpMed><qCarga>150.5000</qCarga></infQ>'
         '<infQ><cUnid>03</cUnid><tpMed>VOLUMES</tpMed><qCarga>15.0000</qCarga></infQ></infCarga>')
DOCS = f'<infDoc><infNFe><chave>{K_AUTHORIZED}</chave></infNFe><infNFe><chave>{K_BARE}</chave></infNFe></infDoc>'
TOMA4 = ('<toma4><toma>4</toma><CNPJ>11222333000181</CNPJ><xNome>Operador Logístico Ltda</xNome>'
         '<enderToma><xMun>CAMPINAS</xMun><UF>SP</UF></enderToma></toma4>')

# ---- CT-e 4.00 with its protocol: payer another party (toma4), two components, two quantities, two NF-e ----
ka = key('35', '2610', T, 57, 1, 501, 50100501)
doc_a = cte(ka, toma=TOMA4, comps=(('FRETE PESO', '250.00'), ('PEDAGIO', '12.50')), icms=ICMS00, carga=CARGA, docs=DOCS)
write('cte/cte-v4.00-cteProc.xml', f'<cteProc versao="4.00" xmlns="{NS_CTE}">{doc_a}{prot(ka)}</cteProc>')
# ---- CT-e 4.00, bare (no protocol): the sender pays (toma3 = 0) ----
kb = key('35', '2610', T, 57, 1, 502, 50200502)
write('cte/cte-v4.00-sem-protocolo.xml', cte(kb, toma='<toma3><toma>0</toma></toma3>', comps=(('FRETE VALOR', '80.00'),),
      icms='<ICMSSN><CST>90</CST><indSN>1</indSN></ICMSSN>', carga=CARGA.replace('309.50', '1200.00'),
      docs=f'<infDoc><infNFe><chave>{K_AUTHORIZED}</chave></infNFe></infDoc>'))
# ---- CT-e OS 4.00 with its protocol: the payer in full (infCte/toma), a service instead of cargo ----
ko = key('35', '2610', T, 67, 26, 8, 80000008)
toma_os = ('<toma><CNPJ>33444555000166</CNPJ><IE>ISENTO</IE><xNome>Turismo Serra Azul Ltda</xNome>'
           '<enderToma><xMun>SANTOS</xMun><UF>SP</UF></enderToma></toma>')
doc_o = cte(ko, root='CTeOS', toma='', comps=(('FRETAMENTO', '1800.00'),),
            icms='<ICMS00><CST>00</CST><vBC>1800.00</vBC><pICMS>12.00</pICMS><vICMS>216.00</vICMS></ICMS00>',
            os_part='<infServico><xDescServ>TRANSPORTE DE PASSAGEIROS - FRETAMENTO</xDescServ><infQ><qCarga>42.0000</qCarga></infQ></infServico>',
            parties=toma_os)
write('cte/cteos-v4.00-cteOSProc.xml', f'<cteOSProc versao="4.00" xmlns="{NS_CTE}">{doc_o}{prot(ko)}</cteOSProc>')
# ---- CT-e 1.03 (an old download): toma03, the NF-e key under rem/infNFe, ICMS as CST00, vMerc ----
kc = key('35', '1104', T, 57, 1, 17, 170017)
rem103 = (f'<rem><CNPJ>{C}</CNPJ><xNome>Comércio São João Ltda</xNome><enderReme><xMun>SAO PAULO</xMun><UF>SP</UF></enderReme>'
          f'<infNFe><chave>35110412345678000195550010000003331000003339</chave></infNFe></rem>'
          + party('dest', '98765432000198', 'Distribuidora Araújo &amp; Filhos S.A.', 'MG', 'enderDest'))
old = cte(kc, versao='1.03', toma='<toma03><toma>3</toma></toma03>', comps=(('FRETE PESO', '95.00'),),
          icms='<CST00><CST>00</CST><vBC>95.00</vBC><pICMS>12.00</pICMS><vICMS>11.40</vICMS></CST00>',
          carga='<infCarga><vMerc>4100.00</vMerc><proPred>PECAS</proPred><infQ><cUnid>01</cUnid><tpMed>PESO</tpMed><qCarga>320.0000</qCarga></infQ></infCarga>',
          parties=rem103).replace('<dhEmi>2026-10-06T08:30:00-03:00</dhEmi>', '<dhEmi>2011-04-12T10:00:00</dhEmi>')
write('cte/cte-v1.03-sem-protocolo.xml', old)

# ---- CT-e events: the 4.00 CT-e's cancellation (request and SEFAZ's answer) ----
def evento(fam, ns, k, tp, seq, det, width, when, org):
    """A procEvento of family `fam` (CTe, MDFe): the request and SEFAZ's answer."""
    req = (f'<evento{fam} versao="{VERSAO[fam]}"><infEvento Id="ID{tp}{k}{seq:0{width}d}"><cOrgao>35</cOrgao><tpAmb>2</tpAmb><CNPJ>{T}</CNPJ><ch{fam}>{k}</ch{fam}>'
           f'<dhEvento>{when}:00-03:00</dhEvento><tpEvento>{tp}</tpEvento><nSeqEvento>{seq}</nSeqEvento>'
           f'<detEvento versaoEvento="{VERSAO[fam]}">{det}</detEvento></infEvento>{SIG}</evento{fam}>')
    ret = (f'<retEvento{fam} versao="{VERSAO[fam]}"><infEvento><tpAmb>2</tpAmb><verAplic>{org}</verAplic><cOrgao>35</cOrgao><cStat>135</cStat>'
           f'<xMotivo>Evento registrado e vinculado a {fam}</xMotivo><ch{fam}>{k}</ch{fam}><tpEvento>{tp}</tpEvento><nSeqEvento>{seq}</nSeqEvento>'
           f'<dhRegEvento>{when}:05-03:00</dhRegEvento><nProt>{NPROT[fam]}</nProt></infEvento></retEvento{fam}>')
    return f'<procEvento{fam} versao="{VERSAO[fam]}" xmlns="{ns}">{req}{ret}</procEvento{fam}>'
VERSAO = {'CTe': '4.00', 'MDFe': '3.00'}
NPROT = {'CTe': '135260000100099', 'MDFe': '935260000000123'}
def evento_cte(k, tp, seq, det): return evento('CTe', NS_CTE, k, tp, seq, det, 3, '2026-10-07T09:00', 'SP-CTe-2026')
def evento_mdfe(k, tp, seq, det): return evento('MDFe', NS_MDFE, k, tp, seq, det, 2, '2026-10-09T18:00', 'SVRS-MDFe')
CANC = '<evCancCTe><descEvento>Cancelamento</descEvento><nProt>135260000100001</nProt><xJust>Frete contratado em duplicidade pelo cliente</xJust></evCancCTe>'
write('cte/evento-cancelamento-cte.xml', evento_cte(ka, 110111, 1, CANC))

# ---- broken twins: each a typed error ----
write('cte/broken-cte-sem-chave.xml', cte(kb, comps=(('FRETE', '1.00'),)).replace(f' Id="CTe{kb}"', ''))
write('cte/broken-cte-digito-verificador.xml', cte(bad_digit(kb), comps=(('FRETE', '1.00'),)))
k55 = key('35', '2610', T, 55, 1, 503, 50300503)   # an NF-e's model in a CT-e
write('cte/broken-cte-modelo-errado.xml', cte(k55, comps=(('FRETE', '1.00'),)))
write('cte/broken-cte-valor-invalido.xml', cte(kb, comps=(('FRETE', '1.00'),)).replace('<vTPrest>1.00', '<vTPrest>R$ 1,00'))
whole = ('<?xml version="1.0" encoding="UTF-8"?>\n' + f'<cteProc versao="4.00" xmlns="{NS_CTE}">{doc_a}{prot(ka)}</cteProc>').encode()
open(os.path.join(OUT, 'cte/broken-cte-truncado.xml'), 'wb').write(whole[:len(whole)*2//3])
write('cte/broken-evento-cte-sem-chave.xml', evento_cte(ka, 110111, 1, CANC).replace(f'<chCTe>{ka}</chCTe>', ''))

# ---- MDF-e 3.00 with its protocol: one CT-e and one NF-e, unloaded in Belo Horizonte ----
def mdfe(k, *, ns=True, docs='', tot=''):
    ide = (f'<ide><cUF>{k[:2]}</cUF><tpAmb>2</tpAmb><tpEmit>1</tpEmit><mod>{k[20:22]}</mod><serie>{int(k[22:25])}</serie><nMDF>{int(k[25:34])}</nMDF>'
           f'<cMDF>{k[35:43]}</cMDF><cDV>{k[43]}</cDV><modal>1</modal><dhEmi>2026-10-06T09:00:00-03:00</dhEmi><tpEmis>1</tpEmis><procEmi>0</procEmi>'
           f'<verProc>1.0</verProc><UFIni>SP</UFIni><UFFim>MG</UFFim><infMunCarrega><cMunCarrega>3550308</cMunCarrega><xMunCarrega>SAO PAULO</xMunCarrega></infMunCarrega></ide>')
    emit = f'<emit><CNPJ>{T}</CNPJ><IE>111111111111</IE><xNome>Transportes Rápidos &amp; Cia</xNome><enderEmit><xMun>SAO PAULO</xMun><UF>SP</UF></enderEmit></emit>'
    modal = '<infModal versaoModal="3.00"><rodo><veicTracao><placa>ABC1D23</placa><tara>8000</tara><UF>SP</UF></veicTracao></rodo></infModal>'
    xmlns = f' xmlns="{NS_MDFE}"' if ns else ''
    return f'<MDFe{xmlns}><infMDFe Id="MDFe{k}" versao="3.00">{ide}{emit}{modal}<infDoc>{docs}</infDoc><tot>{tot}</tot></infMDFe>{SIG}</MDFe>'

km = key('35', '2610', T, 58, 1, 77, 7700077)
docs_m = (f'<infMunDescarga><cMunDescarga>3106200</cMunDescarga><xMunDescarga>BELO HORIZONTE</xMunDescarga>'
          f'<infCTe><chCTe>{ka}</chCTe></infCTe><infNFe><chNFe>{K_AUTHORIZED}</chNFe></infNFe></infMunDescarga>')
tot_m = '<qCTe>1</qCTe><qNFe>1</qNFe><vCarga>309.50</vCarga><cUnid>01</cUnid><qCarga>150.5000</qCarga>'
doc_m = mdfe(km, docs=docs_m, tot=tot_m)
write('mdfe/mdfe-v3.00-mdfeProc.xml', f'<mdfeProc versao="3.00" xmlns="{NS_MDFE}">{doc_m}'
      + prot(km, 'protMDFe', 'chMDFe', motivo='Autorizado o uso do MDF-e', versao='3.00') + '</mdfeProc>')
# ---- MDF-e 3.00 without a namespace and without a protocol, cancelled by an event ----
kn = key('35', '2610', T, 58, 1, 78, 7800078)
write('mdfe/mdfe-v3.00-sem-namespace.xml', mdfe(kn, ns=False, docs=f'<infMunDescarga><cMunDescarga>3106200</cMunDescarga><xMunDescarga>BELO HORIZONTE</xMunDescarga><infNFe><chNFe>{K_BARE}</chNFe></infNFe></infMunDescarga>',
      tot='<qNFe>1</qNFe><vCarga>10.00</vCarga><cUnid>01</cUnid><qCarga>1.0000</qCarga>'))

write('mdfe/evento-encerramento-mdfe.xml', evento_mdfe(km, 110112, 1,
      '<evEncMDFe><descEvento>Encerramento</descEvento><nProt>135260000100001</nProt><dtEnc>2026-10-09</dtEnc><cUF>31</cUF><cMun>3106200</cMun></evEncMDFe>'))
write('mdfe/evento-cancelamento-mdfe.xml', evento_mdfe(kn, 110111, 1,
      '<evCancMDFe><descEvento>Cancelamento</descEvento><nProt>135260000100002</nProt><xJust>Viagem cancelada pelo contratante</xJust></evCancMDFe>'))

write('mdfe/broken-mdfe-sem-chave.xml', mdfe(kn).replace(f' Id="MDFe{kn}"', ''))
write('mdfe/broken-mdfe-digito-verificador.xml', mdfe(bad_digit(kn)))
k57 = key('35', '2610', T, 57, 1, 79, 7900079)   # a CT-e's model in an MDF-e
write('mdfe/broken-mdfe-modelo-errado.xml', mdfe(k57))
whole = ('<?xml version="1.0" encoding="UTF-8"?>\n' + doc_m).encode()
open(os.path.join(OUT, 'mdfe/broken-mdfe-truncado.xml'), 'wb').write(whole[:len(whole)*2//3])
write('mdfe/broken-evento-mdfe-sem-chave.xml', evento_mdfe(km, 110112, 1, '<evEncMDFe><dtEnc>2026-10-09</dtEnc></evEncMDFe>').replace(f'<chMDFe>{km}</chMDFe>', ''))

print('cte', ka, kb, ko, kc, 'mdfe', km, kn)
